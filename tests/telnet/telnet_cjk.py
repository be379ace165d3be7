#!/usr/bin/env python3
"""telnet_cjk.py - the real telnet client, in a pty, chats in CJK

Starts zchat-router and zchat-gateway (from $ZCHAT_BIN_DIR) on loopback
ports they pick, connects an observer (a raw socket, as nc would), and
runs the system's telnet client (Debian's inetutils-telnet, installed by
scripts/install-deps.sh) in a pseudo-terminal with a UTF-8 locale, to the
gateway's port (not 23: telnet negotiates nothing by itself there). It
types CJK text and edits it, first in telnet's default line mode (the
terminal edits; the gateway must have asked for BINARY, or telnet garbles
bytes 0x80-0x9F), then in character mode (^] mode character: every key
goes to the gateway as typed, so the gateway applies BS, DEL, Ctrl+U,
drops Ctrl+D and ends lines at a bare CR). After each line the observer
must receive exactly the expected UTF-8 line.

Every wait is bounded and polls for its condition; nothing sleeps to
synchronise. Prints cmocka's summary lines for scripts/run-tests.sh and
writes the transcript (keys typed, what the observer saw, the telnet
screen) to $ZCHAT_BUILD_DIR/telnet-cjk-transcript.txt.
"""
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

WAIT_S = 15             # longest any wait may take (reached only on failure)
POLL_S = 0.05           # select timeout while waiting for a condition
STATUS_TRIES = 20       # "status" commands while waiting for character mode
ESCAPE = b"\x1d"        # telnet's escape character, ^]

BIN = os.environ.get("ZCHAT_BIN_DIR", "bin")
BUILD = os.environ.get("ZCHAT_BUILD_DIR", "build")


class Failure(Exception):
    pass


def key_names(data):
    """Typed bytes as a person would read them."""
    names = {0x08: "<BS>", 0x7F: "<DEL>", 0x04: "<Ctrl+D>", 0x15: "<Ctrl+U>",
             0x0D: "<Enter>", 0x1D: "<^]>"}
    text = data.decode("utf-8", "replace")
    return "".join(names.get(ord(c), c) if len(c.encode()) == 1 else c for c in text)


class System:
    """A router, a gateway, an observer socket and telnet in a pty."""

    def __init__(self, work):
        self.work = work
        self.procs = []
        self.screen = b""
        self.seen = b""
        self.telnet_pid = 0
        self.fd = -1
        self.observer = None
        self.said = 0           # lines typed that the observer got

    def spawn(self, name, argv):
        log = open(os.path.join(self.work, name + ".err"), "w")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=log)
        self.procs.append((name, proc))
        return os.path.join(self.work, name + ".err")

    def wait_log(self, path, pattern):
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with open(path) as log:
                match = re.search(pattern, log.read())
            if match:
                return match
            select.select([], [], [], POLL_S)
        raise Failure("no '%s' in %s" % (pattern, path))

    def start(self):
        any_port = "tcp://127.0.0.1:*"
        log = self.spawn("router", [os.path.join(BIN, "zchat-router"), "--ingress", any_port,
                                    "--publish", any_port, "--control", any_port])
        ready = self.wait_log(log, r"router: ready ingress=(\S+) publish=(\S+)")
        log = self.spawn("gateway", [os.path.join(BIN, "zchat-gateway"), "--listen",
                                     "127.0.0.1:0", "--ingress", ready.group(1),
                                     "--publish", ready.group(2), "--name", "tn"])
        self.port = int(self.wait_log(log, r"gateway: listening .*port=(\d+)").group(1))
        self.observer = socket.create_connection(("127.0.0.1", self.port))
        self.observer.setblocking(False)
        self.observer_nick = self.wait_seen(rb"\* Welcome to zchat, ([^!]+)!").group(1)
        self.telnet_pid, self.fd = pty.fork()
        if self.telnet_pid == 0:
            os.environ["LC_ALL"] = "C.UTF-8"
            os.environ["TERM"] = "xterm"
            # A UTF-8 terminal: the line discipline erases whole characters
            os.execvp("sh", ["sh", "-c", "stty iutf8 && exec telnet 127.0.0.1 %d" % self.port])
        self.nick = self.wait_screen(rb"\* Welcome to zchat, ([^!]+)!").group(1)
        self.wait_seen(rb"\* " + re.escape(self.nick) + rb" joined #general\r\n")

    def pump(self, timeout):
        """Read what telnet printed and what the observer received."""
        watched = [self.observer] + ([self.fd] if self.fd >= 0 else [])
        ready, _, _ = select.select(watched, [], [], timeout)
        if self.fd >= 0 and self.fd in ready:
            try:
                self.screen += os.read(self.fd, 65536)
            except OSError:
                raise Failure("telnet went away")
        if self.observer in ready:
            try:
                data = self.observer.recv(65536)
            except BlockingIOError:
                data = None
            if data == b"":
                raise Failure("the gateway closed the observer")
            self.seen += data or b""

    def wait_for(self, what, pattern, start=0):
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            match = re.compile(pattern).search(getattr(self, what), start)
            if match:
                return match
            self.pump(POLL_S)
        raise Failure("waited for %r in the %s; it has %r" % (pattern, what,
                                                              getattr(self, what)[start:]))

    def wait_screen(self, pattern, start=0):
        return self.wait_for("screen", pattern, start)

    def wait_seen(self, pattern, start=0):
        return self.wait_for("seen", pattern, start)

    def type(self, keys):
        os.write(self.fd, keys)

    def stop(self):
        if self.telnet_pid:
            os.kill(self.telnet_pid, signal.SIGKILL)
            os.waitpid(self.telnet_pid, 0)
        if self.observer:
            self.observer.close()
        clean = True
        for name, proc in reversed(self.procs):
            proc.send_signal(signal.SIGTERM)
            try:
                status = proc.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                status = proc.wait()
            if status != 0:
                print("%s exited with %d" % (name, status), file=sys.stderr)
                clean = False
        return clean


def say(system, transcript, keys, text):
    """Type keys; the observer must get exactly "[general] NICK: text"."""
    start = len(system.seen)
    system.type(keys)
    line = b"[general] " + system.nick + b": " + text.encode() + b"\r\n"
    match = system.wait_seen(rb"\[general\] " + re.escape(system.nick) + rb": [^\r]*\r\n",
                             start)
    got = match.group(0)
    transcript.append("  typed %-28s observer got %s" % (key_names(keys),
                      got[:-2].decode("utf-8", "replace")))
    if got != line:
        raise Failure("expected %r, got %r" % (line, got))
    system.said += 1


def test_line_mode_cjk(system, transcript):
    transcript.append("line mode (telnet's default), CJK:")
    for text in ["本", "日本語", "한국어", "中文", "本 日本語 한국어 中文"]:
        say(system, transcript, text.encode() + b"\r", text)


def test_line_mode_editing(system, transcript):
    transcript.append("line mode, editing (DEL by the terminal, BS by the gateway):")
    say(system, transcript, "日本語\x7f\r".encode(), "日本")
    say(system, transcript, "한국어\x08\r".encode(), "한국")
    say(system, transcript, "中文\x08\x08本\r".encode(), "本")


def test_character_mode(system, transcript):
    transcript.append("character mode (^] mode character: SGA agreed), every key sent:")
    system.type(ESCAPE)
    system.wait_screen(rb"telnet> ", len(system.screen) - 1)
    system.type(b"mode character\r")
    for _ in range(STATUS_TRIES):
        start = len(system.screen)
        system.type(ESCAPE)
        system.wait_screen(rb"telnet> ", start)
        system.type(b"status\r")
        status = system.wait_screen(rb"Operating [^\r\n]*", start).group(0)
        system.wait_screen(rb"Escape character is", start)
        if b"single character mode" in status:
            break
    else:
        raise Failure("telnet never went to character mode: %r" % status)
    transcript.append("  telnet status: " + status.decode())
    say(system, transcript, "中文X\x7f\r".encode(), "中文")
    say(system, transcript, "한국어\x08\r".encode(), "한국")
    say(system, transcript, "日本語\x08\x08\x08本\r".encode(), "本")
    say(system, transcript, b"ab\x04cd\r", "abcd")
    say(system, transcript, "xyz\x15日本\r".encode(), "日本")


def test_nothing_else(system, transcript):
    """No rejection on telnet's screen, no stray line at the observer."""
    marker = "done 本"
    say(system, transcript, marker.encode() + b"\r", marker)
    lines = re.findall(rb"\[general\] " + re.escape(system.nick) + rb": ", system.seen)
    if len(lines) != system.said:
        raise Failure("observer got %d lines from telnet, expected %d" % (len(lines), system.said))
    if b"! line rejected" in system.screen or b"! line too long" in system.screen:
        raise Failure("telnet's screen shows a rejection")


TESTS = [test_line_mode_cjk, test_line_mode_editing, test_character_mode, test_nothing_else]


def main():
    print("[==========] Running %d test(s)." % len(TESTS))
    failed = []
    transcript = []
    work = tempfile.mkdtemp(prefix="zchat-telnet-")
    system = System(work)
    try:
        system.start()
        transcript.append("telnet user %s, observer %s (raw socket), gateway port %d" %
                          (system.nick.decode(), system.observer_nick.decode(), system.port))
    except Exception as error:
        print("telnet_cjk: setup failed: %r" % error, file=sys.stderr)
        failed = [test.__name__ for test in TESTS]
        TESTS.clear()
    for test in TESTS:
        print("[ RUN      ] %s" % test.__name__)
        try:
            test(system, transcript)
            print("[       OK ] %s" % test.__name__)
        except Exception as error:
            print("telnet_cjk: %r" % error, file=sys.stderr)
            print("[  FAILED  ] %s" % test.__name__)
            failed.append(test.__name__)
            break
    if not system.stop():
        failed.append("clean_exit")
    for name in ("router", "gateway"):
        path = os.path.join(work, name + ".err")
        if failed and os.path.exists(path):
            print("---- %s ----\n%s" % (name, open(path).read()), file=sys.stderr)
    transcript.append("telnet screen:")
    transcript.extend("  | " + line for line in
                      system.screen.decode("utf-8", "replace").replace("\r", "").split("\n"))
    transcript.append("observer received (raw socket, repr):")
    transcript.extend("  | " + repr(line) for line in system.seen.split(b"\r\n"))
    os.makedirs(BUILD, exist_ok=True)
    with open(os.path.join(BUILD, "telnet-cjk-transcript.txt"), "w") as out:
        out.write("\n".join(transcript) + "\n")
    print("\n".join(transcript))
    ran = len(TESTS) if TESTS else len(failed)
    print("[==========] %d test(s) run." % ran)
    if failed:
        print("[  FAILED  ] %d test(s), listed below:" % len(failed))
        for name in failed:
            print("[  FAILED  ] %s" % name)
        return 1
    print("[  PASSED  ] %d test(s)." % len(TESTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
