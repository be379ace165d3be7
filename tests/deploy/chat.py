#!/usr/bin/env python3
"""chat.py - drive real zchat clients through a deployed balancer.

The deploy tests (compose-test.sh, netns-test.sh) run this against the
balancer's address. It plays the scenario of issue 5 with plain TCP
sockets and asserts on the client protocol (docs/PROTOCOL.md):

  1. CLIENTS clients connect, take nicknames and join ROOM;
     --status-cmd (zchat-ctl status, run inside the router's container or
     namespace) must show them on at least --min-gateways gateways;
  2. every client says a line, every other client gets it, nobody gets
     their own; /rooms counts everyone in ROOM;
  3. --kill-cmd removes one gateway; its clients must see their
     connection close, and the rest must hear that they left;
  4. --late-clients new clients get in, join, and chat with the
     survivors; /rooms counts exactly the survivors and the newcomers;
  5. --restart-cmd crashes and restarts the router; the gateways must stay
     up and re-register every session (the status shows them all again),
     and everyone chats as before, under the same nicknames; with
     --history-survives a newcomer's join replay shows a line said before;
  6. --drain-cmd stops the deployment; every client's connection must
     then close within --drain-timeout seconds, after a line matching
     --drain-notice if given.

Each step is optional past 2 (leave its option out). The transcript of
what every client sent and received goes to stdout; a failure prints the
reason and exits 1. Only the standard library is used, so it runs inside
a bare network namespace as well as on the host.
"""

import argparse
import re
import selectors
import socket
import subprocess
import sys
import time


LINE_END = b"\r\n"
TELNET_IAC = 0xFF
TELNET_COMMAND = 3          # IAC, verb, option: the gateway's BINARY offer at connect
READ_SIZE = 65536
CONNECT_TIMEOUT_S = 5.0
RETRY_PAUSE_S = 0.5         # between connects while no gateway is in service
WELCOME_RE = re.compile(r"^\* Welcome to zchat, ([A-Za-z_][A-Za-z0-9_-]*)!")
GATEWAY_RE = re.compile(r"^gateway id=(\S+) name=(\S*) sessions=(\d+)")


class Failure(Exception):
    """A protocol expectation that did not hold."""


class Client:
    """One TCP connection: what it received, line by line, and its state."""

    def __init__(self, label, sock):
        self.label = label          # stable name in the transcript
        self.sock = sock
        self.nick = None            # current nickname, once known
        self.pending = b""          # bytes after the last complete line
        self.lines = []             # every line received, decoded
        self.cursor = 0             # lines before this index are consumed
        self.closed = False         # the server closed the connection


class Scenario:
    """All clients, one selector, and the transcript."""

    def __init__(self, host, port, timeout):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.selector = selectors.DefaultSelector()
        self.clients = []
        self.started = time.monotonic()

    def log(self, text):
        print("%7.3f %s" % (time.monotonic() - self.started, text), flush=True)

    def connect(self, label):
        sock = socket.create_connection((self.host, self.port), CONNECT_TIMEOUT_S)
        sock.setblocking(False)
        client = Client(label, sock)
        self.selector.register(sock, selectors.EVENT_READ, client)
        self.clients.append(client)
        self.log("%s connected" % label)
        return client

    def send(self, client, line):
        self.log("%s > %s" % (client.nick or client.label, line))
        client.sock.setblocking(True)
        client.sock.sendall(line.encode() + LINE_END)
        client.sock.setblocking(False)

    def pump(self, wait):
        """Read whatever arrives within wait seconds, on every client."""
        for key, _ in self.selector.select(wait):
            client = key.data
            try:
                data = client.sock.recv(READ_SIZE)
            except (BlockingIOError, InterruptedError):
                continue
            except ConnectionError:
                data = b""
            if not data:
                self.selector.unregister(client.sock)
                client.sock.close()
                client.closed = True
                self.log("%s closed by server" % (client.nick or client.label))
                continue
            client.pending += data
            while b"\n" in client.pending:
                raw, client.pending = client.pending.split(b"\n", 1)
                raw = strip_telnet(raw)
                line = raw.rstrip(b"\r").decode("utf-8", "replace")
                client.lines.append(line)
                self.log("%s < %s" % (client.nick or client.label, line))

    def expect(self, client, pattern, what, timeout=None):
        """Wait for a line matching pattern (a regex) on client, consuming
        lines up to it; returns the match. Fails after timeout seconds."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            while client.cursor < len(client.lines):
                line = client.lines[client.cursor]
                client.cursor += 1
                match = regex.search(line)
                if match:
                    return match
            if client.closed:
                raise Failure("%s: connection closed while waiting for %s"
                              % (client.nick or client.label, what))
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("%s: no %s within %.0fs (pattern %r)"
                              % (client.nick or client.label, what,
                                 timeout or self.timeout, pattern))
            self.pump(min(left, 0.2))

    def expect_all(self, client, patterns, what, timeout=None):
        """Wait until every regex in patterns has matched some line on
        client, in any order; consumes the lines it read."""
        regexes = [re.compile(pattern) for pattern in patterns]
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            while client.cursor < len(client.lines):
                line = client.lines[client.cursor]
                client.cursor += 1
                regexes = [regex for regex in regexes if not regex.search(line)]
            if not regexes:
                return
            if client.closed:
                raise Failure("%s: connection closed while waiting for %s"
                              % (client.nick or client.label, what))
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("%s: no %s within %.0fs (missing %s)"
                              % (client.nick or client.label, what,
                                 timeout or self.timeout,
                                 ", ".join(regex.pattern for regex in regexes)))
            self.pump(min(left, 0.2))

    def expect_closed(self, client, timeout):
        deadline = time.monotonic() + timeout
        while not client.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure("%s: connection still open after %.0fs"
                              % (client.nick or client.label, timeout))
            self.pump(min(left, 0.2))

    def settle(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump(deadline - time.monotonic())


def strip_telnet(raw):
    """Drop leading telnet commands (the gateway asks for BINARY at connect)."""
    while len(raw) >= TELNET_COMMAND and raw[0] == TELNET_IAC:
        raw = raw[TELNET_COMMAND:]
    return raw


def s_login(scenario, label, nick, room):
    """Connect, read the welcome, take nick, join room. Returns the client."""
    client = scenario.connect(label)
    scenario.expect(client, WELCOME_RE.pattern, "welcome line")
    s_take_nick_and_room(scenario, client, nick, room)
    return client


def s_take_nick_and_room(scenario, client, nick, room):
    scenario.send(client, "/nick %s" % nick)
    scenario.expect(client, r"is now known as %s\b" % re.escape(nick),
                    "nick change to %s" % nick)
    client.nick = nick
    scenario.send(client, "/join %s" % room)
    scenario.expect(client, r"^\* %s joined #%s\b" % (re.escape(nick), room),
                    "own join to #%s" % room)


def s_chat_round(scenario, room, members, tag):
    """Every member says a line; every other member must get it, in the
    room's format. The sender's own line must not come back."""
    for speaker in members:
        text = "%s from %s" % (tag, speaker.nick)
        scenario.send(speaker, text)
        expected = r"^\[%s\] %s: %s$" % (room, re.escape(speaker.nick), re.escape(text))
        for listener in members:
            if listener is not speaker:
                scenario.expect(listener, expected, "chat line from %s" % speaker.nick)
    # one more pass so an echo to the sender would have arrived by now
    scenario.settle(0.3)
    for speaker in members:
        own = "] %s: %s from %s" % (speaker.nick, tag, speaker.nick)
        if any(own in line for line in speaker.lines):
            raise Failure("%s got its own line back" % speaker.nick)


def s_check_rooms(scenario, asker, room, count):
    # "/rooms ROOM" lists the rooms whose name contains ROOM, one per line:
    # "*   #ROOM  N members"
    scenario.send(asker, "/rooms %s" % room)
    match = scenario.expect(asker, r"^\*\s+#%s\s+(\d+) members?$" % re.escape(room),
                            "/rooms answer")
    if match.group(1) != str(count):
        raise Failure("/rooms says #%s %s, expected %d: %s"
                      % (room, match.group(1), count, match.string))
    scenario.log("check: /rooms counts #%s %d" % (room, count))


def s_gateways(scenario, status_cmd, quiet=False):
    """Run the status command; returns ({gateway name: sessions}, total
    sessions)."""
    output = subprocess.run(status_cmd, shell=True, check=True, capture_output=True,
                            text=True, timeout=scenario.timeout).stdout
    gateways = {}
    sessions = None
    for line in output.splitlines():
        match = GATEWAY_RE.match(line)
        if match:
            gateways[match.group(2) or match.group(1)] = int(match.group(3))
        elif line.startswith("sessions="):
            sessions = int(line[len("sessions="):])
    if not quiet:
        scenario.log("status: sessions=%s %s" % (sessions, " ".join(
            "%s=%d" % item for item in sorted(gateways.items()))))
    return gateways, sessions


def s_restart_router(scenario, options, room, members):
    """Crash and restart the router; wait until the gateways have
    re-registered every member, then check they still chat."""
    scenario.log("restart: %s" % options.restart_cmd)
    subprocess.run(options.restart_cmd, shell=True, check=True, timeout=scenario.timeout)
    deadline = time.monotonic() + options.loss_timeout
    while True:
        scenario.pump(0.5)
        if any(client.closed for client in members):
            raise Failure("a client lost its connection when the router restarted")
        try:
            _, sessions = s_gateways(scenario, options.status_cmd, quiet=True)
        except subprocess.SubprocessError:
            sessions = None         # the router is not back yet
        if sessions == len(members):
            break
        if time.monotonic() > deadline:
            raise Failure("router knows %s sessions %.0fs after its restart, expected %d"
                          % (sessions, options.loss_timeout, len(members)))
    s_gateways(scenario, options.status_cmd)
    scenario.log("check: the gateways re-registered all %d sessions" % len(members))
    s_chat_round(scenario, room, members, "after the router restart")
    s_check_rooms(scenario, members[0], room, len(members))
    if options.history_survives:
        s_check_history(scenario, options, room, members[0])


def s_connect_in_service(scenario, label):
    """Connect and read the welcome, trying again while the connection is
    closed before it: right after a router restart the balancer has taken
    every gateway out (their health port says not-ready while they
    resync) and puts each back after two good checks, a few seconds, and
    until then it closes new connections. A real client tries again too."""
    deadline = time.monotonic() + scenario.timeout
    while True:
        client = scenario.connect(label)
        try:
            scenario.expect(client, WELCOME_RE.pattern, "welcome line")
            return client
        except Failure:
            if not client.closed or time.monotonic() >= deadline:
                raise
            scenario.clients.remove(client)
            scenario.log("%s: no gateway in service yet, trying again" % label)
            time.sleep(RETRY_PAUSE_S)


def s_check_history(scenario, options, room, speaker):
    """A newcomer after the restart is shown, in its join's replay, a line
    said before it: the router's SQLite history survived. It then leaves."""
    newcomer = s_connect_in_service(scenario, "newcomer")
    s_take_nick_and_room(scenario, newcomer, "%snew" % options.tag, room)
    said = re.compile(r"^\[%s [0-9: -]+\] %s: hello from %s$"
                      % (room, re.escape(speaker.nick), re.escape(speaker.nick)))
    if not any(said.search(line) for line in newcomer.lines):
        raise Failure("a newcomer after the router restart was not shown the lines said before it")
    scenario.log("check: a newcomer after the router restart sees the lines said before it")
    scenario.selector.unregister(newcomer.sock)
    newcomer.sock.close()


def s_run(scenario, options):
    room = options.room
    members = [s_login(scenario, "c%d" % index, "%s%d" % (options.tag, index), room)
               for index in range(1, options.clients + 1)]

    if options.status_cmd:
        used = [name for name, sessions in s_gateways(scenario, options.status_cmd)[0].items()
                if sessions > 0]
        if len(used) < options.min_gateways:
            raise Failure("clients landed on %d gateway(s), expected at least %d"
                          % (len(used), options.min_gateways))
        scenario.log("check: clients spread over %d gateways" % len(used))

    s_chat_round(scenario, room, members, "hello")
    s_check_rooms(scenario, members[0], room, len(members))

    if options.kill_cmd:
        scenario.log("kill: %s" % options.kill_cmd)
        subprocess.run(options.kill_cmd, shell=True, check=True, timeout=scenario.timeout)
        # Those on the killed gateway lose their connection; wait for it.
        deadline = time.monotonic() + options.loss_timeout
        while time.monotonic() < deadline and not any(c.closed for c in members):
            scenario.pump(0.2)
        lost = [client for client in members if client.closed]
        survivors = [client for client in members if not client.closed]
        if not lost or not survivors:
            raise Failure("after the kill %d client(s) lost, %d left; expected some of each"
                          % (len(lost), len(survivors)))
        scenario.settle(0.5)
        lost = [client for client in members if client.closed]
        survivors = [client for client in members if not client.closed]
        scenario.log("check: %d client(s) lost with the gateway, %d survive"
                     % (len(lost), len(survivors)))
        # The router notices the silent gateway and says its members left.
        for client in survivors:
            scenario.expect_all(client, [r"^\* %s left #%s" % (re.escape(gone.nick), room)
                                         for gone in lost],
                                "leave notices", options.loss_timeout)
        late = [s_login(scenario, "late%d" % index, "%slate%d" % (options.tag, index), room)
                for index in range(1, options.late_clients + 1)]
        members = survivors + late
        s_chat_round(scenario, room, members, "after the kill")
        s_check_rooms(scenario, late[0], room, len(members))
        if options.status_cmd:
            s_gateways(scenario, options.status_cmd)

    if options.restart_cmd:
        s_restart_router(scenario, options, room, members)

    if options.drain_cmd:
        scenario.log("drain: %s" % options.drain_cmd)
        drain = subprocess.Popen(options.drain_cmd, shell=True)
        for client in members:
            if options.drain_notice:
                scenario.expect(client, options.drain_notice, "drain notice",
                                options.drain_timeout)
            scenario.expect_closed(client, options.drain_timeout)
        scenario.log("check: every client closed by the drain")
        if drain.wait(options.drain_timeout) != 0:
            raise Failure("drain command exited %d" % drain.returncode)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--room", default="deploy")
    parser.add_argument("--tag", default="user", help="nickname prefix")
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--late-clients", type=int, default=3)
    parser.add_argument("--min-gateways", type=int, default=2)
    parser.add_argument("--status-cmd")
    parser.add_argument("--kill-cmd")
    parser.add_argument("--restart-cmd", help="crash and restart the router")
    parser.add_argument("--history-survives", action="store_true",
                        help="after the restart, a newcomer must be shown lines said before it "
                             "(a router with a persistent history store)")
    parser.add_argument("--drain-cmd")
    parser.add_argument("--drain-notice", metavar="REGEX",
                        help="a line every client must get before the close")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds to wait for any one expected line")
    parser.add_argument("--loss-timeout", type=float, default=20.0,
                        help="seconds for a kill to be noticed")
    parser.add_argument("--drain-timeout", type=float, default=30.0)
    options = parser.parse_args()

    scenario = Scenario(options.host, options.port, options.timeout)
    try:
        s_run(scenario, options)
    except (Failure, OSError, subprocess.SubprocessError) as error:
        scenario.log("FAIL: %s" % error)
        return 1
    scenario.log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
