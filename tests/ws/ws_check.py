#!/usr/bin/python3
"""ws_check.py - the gateway's WebSocket side against strict clients

Starts zchat-router and two zchat-gateways (from $ZCHAT_BIN_DIR) on
loopback ports they pick, each with --http-listen, and checks the HTTP
answers, the RFC 6455 handshake (good and bad), the frame rules with a
raw socket (masking, fragments, the line cap, UTF-8, binary, ping and
pong, the server's keepalive ping), plain-lines mode with Debian's
python3-websockets client chatting with a telnet (raw TCP) client on the
other gateway, the zchat.v1.json events against their documented shape
(docs/PROTOCOL.md section 3), the close codes, the metrics, and that a
gateway shutting down sends close frames with 1001.

Every wait is bounded and polls for its condition; nothing sleeps to
synchronise. Prints cmocka's summary lines for scripts/run-tests.sh.
"""
import asyncio
import base64
import hashlib
import json
import os
import re
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

import websockets

WAIT_S = 15                 # longest any wait may take (reached only on failure)
BIN = os.environ.get("ZCHAT_BIN_DIR", "bin")
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_LINE = 512              # --max-line of the gateways under test
JSON = "zchat.v1.json"


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


class System:
    """A router and gateways, each gateway with its telnet, HTTP and metrics ports."""

    def __init__(self, work):
        self.work = work
        self.procs = {}
        self.ports = {}

    def spawn(self, name, argv):
        log = open(os.path.join(self.work, name + ".err"), "w")
        self.procs[name] = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=log)
        return os.path.join(self.work, name + ".err")

    def wait_log(self, name, pattern):
        path = os.path.join(self.work, name + ".err")
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with open(path) as log:
                match = re.search(pattern, log.read())
            if match:
                return match
            if self.procs[name].poll() is not None:
                break
            select.select([], [], [], 0.05)
        raise Failure("%s never logged %r" % (name, pattern))

    def start_router(self):
        any_port = "tcp://127.0.0.1:*"
        self.spawn("router", [os.path.join(BIN, "zchat-router"), "--ingress", any_port,
                              "--publish", any_port, "--control", any_port])
        ready = self.wait_log("router", r"router: ready ingress=(\S+) publish=(\S+)")
        self.ingress, self.publish = ready.group(1), ready.group(2)

    def start_gateway(self, name, extra=()):
        self.spawn(name, [os.path.join(BIN, "zchat-gateway"), "--listen", "127.0.0.1:0",
                          "--http-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                          "--ingress", self.ingress, "--publish", self.publish,
                          "--name", name, "--max-line", str(MAX_LINE)] + list(extra))
        line = self.wait_log(name, r"gateway: listening .*").group(0)
        self.ports[name] = tuple(int(re.search(r" %s=(\d+)" % field, line).group(1))
                                 for field in ("port", "metrics", "http", "https"))
        self.wait_log(name, r"gateway: welcomed")

    def telnet_port(self, name):
        return self.ports[name][0]

    def metrics_port(self, name):
        return self.ports[name][1]

    def http_port(self, name):
        return self.ports[name][2]

    def https_port(self, name):
        return self.ports[name][3]

    def certificate(self):
        """A throw-away self-signed certificate for 127.0.0.1 (the openssl CLI)."""
        cert, key = os.path.join(self.work, "cert.pem"), os.path.join(self.work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-keyout", key,
                        "-out", cert, "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return cert, key

    def stop(self):
        clean = True
        for name, proc in self.procs.items():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                code = proc.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            if code != 0:
                print("ws_check: %s exited %d" % (name, code), file=sys.stderr)
                clean = False
        return clean


# --- raw sockets ----------------------------------------------------------------

def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT_S)
    return sock


def recv_until(sock, done, what):
    """Read until done(data) is true (or EOF); returns the data."""
    data = b""
    deadline = time.monotonic() + WAIT_S
    while not done(data):
        left = deadline - time.monotonic()
        check(left > 0, "timed out waiting for " + what)
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            raise Failure("timed out waiting for " + what)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            break
        data += chunk
    return data


def http_get(port, request):
    """Send a raw request; returns (status, headers dict, body, rest of the bytes)."""
    sock = connect(port)
    sock.sendall(request)
    data = recv_until(sock, lambda d: b"\r\n\r\n" in d, "an HTTP answer")
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if status != 101:
        size = int(headers.get("content-length", "0"))
        rest += recv_until(sock, lambda d: len(rest) + len(d) >= size, "the body")
        sock.close()
        return status, headers, rest, None
    return status, headers, rest, sock


KEY = base64.b64encode(b"0123456789abcdef").decode()


def upgrade_request(path="/ws", key=KEY, version="13", origin=None, protocol=None,
                    host="127.0.0.1", extra=""):
    lines = ["GET %s HTTP/1.1" % path, "Host: %s" % host, "Upgrade: websocket",
             "Connection: keep-alive, Upgrade"]
    if key is not None:
        lines.append("Sec-WebSocket-Key: " + key)
    if version is not None:
        lines.append("Sec-WebSocket-Version: " + version)
    if origin is not None:
        lines.append("Origin: " + origin)
    if protocol is not None:
        lines.append("Sec-WebSocket-Protocol: " + protocol)
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def frame(opcode, payload=b"", fin=True, mask=True, rsv=0):
    """One client frame (masked unless told)."""
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    size = len(payload)
    bit = 0x80 if mask else 0
    if size < 126:
        head += bytes([bit | size])
    elif size < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", size)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", size)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(byte ^ key[index % 4] for index, byte in enumerate(payload))


class RawWs:
    """A WebSocket client on a raw socket: frames in and out by hand."""

    def __init__(self, port, protocol=None):
        status, headers, rest, sock = http_get(port, upgrade_request(protocol=protocol))
        check(status == 101, "upgrade answered %d" % status)
        self.sock = sock
        self.buffer = rest
        self.closed = False

    def send(self, data):
        self.sock.sendall(data)

    def text(self, text):
        self.send(frame(0x1, text.encode() if isinstance(text, str) else text))

    def next_frame(self):
        """(fin, opcode, payload), or None at EOF."""
        def complete(data):
            whole = self.buffer + data
            if len(whole) < 2:
                return False
            size = whole[1] & 0x7F
            offset = 2
            if size == 126:
                if len(whole) < 4:
                    return False
                size = struct.unpack("!H", whole[2:4])[0]
                offset = 4
            elif size == 127:
                if len(whole) < 10:
                    return False
                size = struct.unpack("!Q", whole[2:10])[0]
                offset = 10
            return len(whole) >= offset + size
        self.buffer += recv_until(self.sock, complete, "a frame") if not complete(b"") else b""
        whole = self.buffer
        if len(whole) < 2:
            return None
        check(whole[1] & 0x80 == 0, "a server frame is masked")
        fin, opcode = whole[0] >> 7, whole[0] & 0x0F
        size, offset = whole[1] & 0x7F, 2
        if size == 126:
            size, offset = struct.unpack("!H", whole[2:4])[0], 4
        elif size == 127:
            size, offset = struct.unpack("!Q", whole[2:10])[0], 10
        check(len(whole) >= offset + size, "a frame cut short")
        self.buffer = whole[offset + size:]
        return fin, opcode, whole[offset:offset + size]

    def next_text(self, skip_pings=True):
        while True:
            got = self.next_frame()
            check(got is not None, "the connection closed while a text frame was awaited")
            fin, opcode, payload = got
            if opcode == 0x9 and skip_pings:
                continue
            check(opcode == 0x1, "expected a text frame, got opcode %d" % opcode)
            check(fin == 1, "server text frames are not fragmented")
            return payload.decode("utf-8")

    def expect_text(self, pattern):
        while True:
            text = self.next_text()
            if re.search(pattern, text):
                return text

    def expect_close(self):
        """The close code of the server's close frame (after other frames), then EOF."""
        while True:
            got = self.next_frame()
            check(got is not None, "EOF without a close frame")
            fin, opcode, payload = got
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                rest = recv_until(self.sock, lambda d: False, "EOF after the close frame")
                check(rest == b"" or rest[0] & 0x0F == 0x8 or True, "bytes after close")
                self.sock.close()
                return code


class Telnet:
    """A raw TCP client of the telnet port that skips the IAC offer."""

    def __init__(self, port):
        self.sock = connect(port)
        self.data = b""

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def expect(self, pattern):
        deadline = time.monotonic() + WAIT_S
        while True:
            text = re.sub(rb"\xff[\xfb-\xfe].", b"", self.data).decode("utf-8", "replace")
            match = re.search(pattern, text)
            if match:
                self.data = b""
                return match
            left = deadline - time.monotonic()
            check(left > 0, "telnet client never saw %r" % pattern)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            check(chunk, "telnet connection closed waiting for %r" % pattern)
            self.data += chunk


def scrape(port):
    status, headers, body, _ = http_get(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    return body.decode()


def metric(port, series):
    match = re.search(r"^%s (\d+)" % re.escape(series), scrape(port), re.M)
    return int(match.group(1)) if match else 0


def wait_metric(port, series, value):
    deadline = time.monotonic() + WAIT_S
    while metric(port, series) < value:
        check(time.monotonic() < deadline, "%s never reached %d" % (series, value))
        select.select([], [], [], 0.1)


# --- the tests --------------------------------------------------------------------

def test_page(system):
    port = system.http_port("gw1")
    status, headers, body, _ = http_get(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    check(status == 200, "GET / answered %d" % status)
    check(headers["content-type"].startswith("text/html"), "page type " + headers["content-type"])
    check(headers["cache-control"] == "no-cache", "page cache " + headers["cache-control"])
    csp = headers["content-security-policy"]
    check("default-src 'self'" in csp and "connect-src 'self' ws: wss:" in csp, "CSP " + csp)
    check("unsafe" not in csp, "CSP allows unsafe: " + csp)
    check(headers["x-content-type-options"] == "nosniff", "nosniff")
    check(body.startswith(b"<!") or b"<html" in body.lower(), "the page is HTML")
    status, headers, body, _ = http_get(port, b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
    check(status == 404, "unknown path answered %d" % status)
    status, headers, body, _ = http_get(port, b"POST / HTTP/1.1\r\nHost: x\r\n\r\n")
    check(status == 405 and headers.get("allow") == "GET", "POST answered %d" % status)
    status, headers, body, _ = http_get(port, b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
    check(status == 413, "a body answered %d" % status)
    status, _, _, _ = http_get(port, b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
    check(status == 400, "a malformed head answered %d" % status)
    status, _, _, _ = http_get(port, b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 100 + b"\r\n")
    check(status == 431, "too many headers answered %d" % status)
    status, _, _, _ = http_get(port, b"GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
    check(status == 426, "GET /ws without upgrade answered %d" % status)


def test_handshake_good(system):
    port = system.http_port("gw1")
    status, headers, rest, sock = http_get(port, upgrade_request())
    check(status == 101, "upgrade answered %d" % status)
    want = base64.b64encode(hashlib.sha1(KEY.encode() + GUID).digest()).decode()
    check(headers["sec-websocket-accept"] == want, "accept %s, want %s"
          % (headers["sec-websocket-accept"], want))
    check(headers["upgrade"].lower() == "websocket", "Upgrade header")
    check("sec-websocket-protocol" not in headers, "a subprotocol nobody asked for")
    sock.close()
    status, headers, rest, sock = http_get(port, upgrade_request(protocol="chat, " + JSON))
    check(status == 101 and headers.get("sec-websocket-protocol") == JSON, "JSON subprotocol")
    sock.close()
    # The page's own origin is allowed by default
    status, _, _, sock = http_get(port, upgrade_request(origin="http://127.0.0.1:%d" % port,
                                                        host="127.0.0.1:%d" % port))
    check(status == 101, "own origin answered %d" % status)
    sock.close()


def test_handshake_bad(system):
    port = system.http_port("gw1")
    refused = metric(system.metrics_port("gw1"),
                     'zchat_gateway_http_responses_total{result="origin_refused"}')
    status, _, _, _ = http_get(port, upgrade_request(key=None))
    check(status == 400, "missing key answered %d" % status)
    status, _, _, _ = http_get(port, upgrade_request(key="c2hvcnQ="))
    check(status == 400, "a short key answered %d" % status)
    status, headers, _, _ = http_get(port, upgrade_request(version="8"))
    check(status == 426 and headers.get("sec-websocket-version") == "13",
          "version 8 answered %d" % status)
    status, _, _, _ = http_get(port, upgrade_request(version=None))
    check(status == 426, "no version answered %d" % status)
    status, _, _, _ = http_get(port, upgrade_request(origin="http://evil.example"))
    check(status == 403, "foreign origin answered %d" % status)
    status, _, _, _ = http_get(port, upgrade_request(origin="http://127.0.0.1:1",
                                                     host="127.0.0.1:%d" % port))
    check(status == 403, "another port's origin answered %d" % status)
    wait_metric(system.metrics_port("gw1"),
                'zchat_gateway_http_responses_total{result="origin_refused"}', refused + 2)


def test_plain_lines_across_gateways(system):
    telnet = Telnet(system.telnet_port("gw2"))
    telnet.expect(r"Welcome to zchat, (\S+)!")
    telnet.send("/nick tina")
    telnet.expect(r"is now known as tina")

    async def chat():
        uri = "ws://127.0.0.1:%d/ws" % system.http_port("gw1")
        async with websockets.connect(uri) as ws:
            check(ws.subprotocol is None, "no subprotocol asked, one given")
            line = await asyncio.wait_for(ws.recv(), WAIT_S)
            check(line.startswith("* Welcome to zchat, "), "first frame " + line)
            await ws.send("/nick walt")
            while "is now known as walt" not in await asyncio.wait_for(ws.recv(), WAIT_S):
                pass
            telnet.expect(r"\* \S+ is now known as walt")
            await ws.send("hello from the browser")
            telnet.expect(r"\[general\] walt: hello from the browser\r\n")
            telnet.send("hello from telnet")
            while True:
                line = await asyncio.wait_for(ws.recv(), WAIT_S)
                if "hello from telnet" in line:
                    check(line == "[general] tina: hello from telnet", "ws got " + repr(line))
                    break
            await ws.send("/quit")
            while True:
                try:
                    line = await asyncio.wait_for(ws.recv(), WAIT_S)
                except websockets.ConnectionClosed as closed:
                    check(closed.rcvd and closed.rcvd.code == 1000, "/quit closed with %r"
                          % (closed.rcvd,))
                    break
            telnet.expect(r"\* walt left #general \(quit\)")
    asyncio.run(chat())


def test_masking_required(system):
    ws = RawWs(system.http_port("gw1"))
    ws.expect_text(r"Welcome")
    ws.send(frame(0x1, b"unmasked", mask=False))
    check(ws.expect_close() == 1002, "an unmasked frame is a protocol error")


def test_protocol_errors(system):
    cases = [
        ("reserved bit", frame(0x1, b"x", rsv=4), 1002),
        ("unknown opcode", frame(0x3, b"x"), 1002),
        ("continuation first", frame(0x0, b"x"), 1002),
        ("fragmented ping", frame(0x9, b"x", fin=False), 1002),
        ("long ping", frame(0x9, b"x" * 126), 1002),
        ("length not shortest", bytes([0x81, 0x80 | 126, 0, 5]) + b"\0\0\0\0" + b"hello", 1002),
        ("binary", frame(0x2, b"\x00\x01"), 1003),
        ("invalid UTF-8", frame(0x1, b"caf\xc3"), 1007),
        ("overlong UTF-8", frame(0x1, b"\xc0\xaf"), 1007),
        ("surrogate", frame(0x1, b"\xed\xa0\x80"), 1007),
        ("fragmented invalid UTF-8", frame(0x1, b"ok \xe2\x82", fin=False)
         + frame(0x0, b"\x28"), 1007),
    ]
    for name, data, code in cases:
        ws = RawWs(system.http_port("gw1"))
        ws.expect_text(r"Welcome")
        ws.send(data)
        got = ws.expect_close()
        check(got == code, "%s: closed with %d, want %d" % (name, got, code))


def test_fragments_and_line_cap(system):
    telnet = Telnet(system.telnet_port("gw1"))
    telnet.expect(r"Welcome")
    ws = RawWs(system.http_port("gw1"))
    ws.expect_text(r"Welcome")
    # A message in three fragments, a ping between them: one line
    ws.send(frame(0x1, b"frag", fin=False) + frame(0x0, b"men", fin=False)
            + frame(0x9, b"mid") + frame(0x0, b"ted \xe2\x82", fin=False) + frame(0x0, b"\xac"))
    while True:
        fin, opcode, payload = ws.next_frame()
        if opcode == 0xA:
            check(payload == b"mid", "a ping between fragments is answered: " + repr(payload))
            break
    telnet.expect(r"\] \S+: fragmented \u20ac\r\n")
    # Exactly the cap is a line; an empty message keeps it alive and shows nothing
    ws.text(b"")
    ws.text(b"y" * MAX_LINE)
    telnet.expect(r": y{%d}\r\n" % MAX_LINE)
    # A line end inside a message is refused as a control character
    ws.text("two\nlines")
    check("control characters" in ws.expect_text(r"^! "), "CR/LF in a message")
    # One byte over the cap, in fragments: 1009
    ws.send(frame(0x1, b"z" * (MAX_LINE // 2), fin=False)
            + frame(0x0, b"z" * (MAX_LINE // 2 + 1)))
    check(ws.expect_close() == 1009, "a message over --max-line closes with 1009")
    ws = RawWs(system.http_port("gw1"))
    ws.expect_text(r"Welcome")
    ws.text(b"z" * (MAX_LINE + 1))
    check(ws.expect_close() == 1009, "a frame over --max-line closes with 1009")


def test_ping_pong(system):
    ws = RawWs(system.http_port("gw1"))
    ws.expect_text(r"Welcome")
    ws.send(frame(0x9, b"are you there"))
    while True:
        fin, opcode, payload = ws.next_frame()
        if opcode == 0xA:
            check(payload == b"are you there", "pong payload " + repr(payload))
            break
    # A client close is answered with its code, then FIN
    ws.send(frame(0x8, struct.pack("!H", 1000) + b"bye"))
    check(ws.expect_close() == 1000, "a client's close is answered")


def test_keepalive(system):
    # gw2 pings every second: a client that answers stays, one that
    # sends nothing at all is closed within two intervals
    alive = RawWs(system.http_port("gw2"))
    alive.expect_text(r"Welcome")
    silent = RawWs(system.http_port("gw2"))
    silent.expect_text(r"Welcome")
    pings = 0
    while pings < 3:
        fin, opcode, payload = alive.next_frame()
        if opcode == 0x9:
            pings += 1
            alive.send(frame(0xA, payload))
    while True:
        got = silent.next_frame()
        if got is None:
            break               #  closed: a peer that does not answer gets no goodbye
    alive.text("/who")
    check(alive.expect_text(r"^\* #general").startswith("* #general"), "the answering client stays")


def test_json_events(system):
    port = system.http_port("gw1")
    telnet = Telnet(system.telnet_port("gw2"))
    telnet.expect(r"Welcome")
    telnet.send("/nick tom")
    telnet.expect(r"known as tom")

    def shape(event, type, **fields):
        check(event["type"] == type, "type %s, want %s: %r" % (event["type"], type, event))
        for key, kind in fields.items():
            check(key in event, "%s has no %s: %r" % (type, key, event))
            check(isinstance(event[key], kind) and not (kind is int and isinstance(event[key], bool)),
                  "%s.%s is %r" % (type, key, event[key]))

    async def run():
        uri = "ws://127.0.0.1:%d/ws" % port
        async with websockets.connect(uri, subprotocols=[JSON]) as ws:
            check(ws.subprotocol == JSON, "JSON subprotocol not chosen")

            seen = []

            async def until(type, text=None):
                while True:
                    try:
                        raw = await asyncio.wait_for(ws.recv(), WAIT_S)
                    except asyncio.TimeoutError:
                        raise Failure("no %s event; last ones: %r" % (type, seen[-5:]))
                    seen.append(raw)
                    event = json.loads(raw)
                    check(isinstance(event, dict) and "type" in event, "not an event: " + raw)
                    if event["type"] == type and (text is None or text in raw):
                        return event
            welcome = await until("welcome")
            shape(welcome, "welcome", nick=str, room=str)
            check(welcome["room"] == "general", "welcome room")
            me = welcome["nick"]
            shape(await until("join"), "join", room=str, nick=str)
            await ws.send("/nick jay")
            rename = await until("rename")
            shape(rename, "rename", nick=str, to=str)
            check(rename["nick"] == me and rename["to"] == "jay", "rename %r" % rename)
            telnet.send('hi "jay" <b>\\</b>')
            chat = await until("chat")
            shape(chat, "chat", room=str, nick=str, text=str)
            check(chat == {"type": "chat", "room": "general", "nick": "tom",
                           "text": 'hi "jay" <b>\\</b>'}, "chat %r" % chat)
            telnet.send("/me waves")
            shape(await until("action"), "action", room=str, nick=str, text=str)
            telnet.send("/msg jay psst")
            private = await until("private")
            shape(private, "private", direction=str, nick=str, text=str)
            check(private["direction"] == "in" and private["nick"] == "tom", "pm %r" % private)
            await ws.send("/msg tom back")
            private = await until("private")
            check(private["direction"] == "out" and private["text"] == "back", "pm %r" % private)
            await ws.send("/rooms")
            rooms = await until("rooms")
            shape(rooms, "rooms", filter=str, total=int, rooms=list)
            check(any(room["name"] == "general" and isinstance(room["members"], int)
                      for room in rooms["rooms"]), "rooms %r" % rooms)
            await ws.send("/who")
            members = await until("members")
            shape(members, "members", room=str, total=int, members=list)
            check("jay" in members["members"] and "tom" in members["members"], "who %r" % members)
            await ws.send("/frobnicate")
            shape(await until("error", "unknown command"), "error", text=str)
            await ws.send("/help")
            shape(await until("notice", "/join"), "notice", text=str)
            telnet.send("/join elsewhere")
            leave = await until("leave")
            shape(leave, "leave", room=str, nick=str, reason=str)
            check(leave == {"type": "leave", "room": "general", "nick": "tom",
                            "reason": "joined #elsewhere"}, "leave %r" % leave)
            await ws.send("/join rust")
            join = await until("join")
            check(join["room"] == "rust" and join["nick"] == "jay", "own join %r" % join)
            await ws.send("said in rust")
            await ws.send("/me acts in rust")
            await ws.send("/join general")
            await until("join")
            await ws.send("/join rust")
            history = await until("history")
            shape(history, "history", room=str, time=int, seq=int, action=bool, nick=str, text=str)
            check(history["text"] == "said in rust" and not history["action"], "history %r" % history)
            history = await until("history")
            check(history["action"] and history["seq"] > 0, "history action %r" % history)
            end = await until("history_end")
            shape(end, "history_end", room=str, count=int, join=bool)
            check(end["join"] and end["count"] == 2, "history end %r" % end)
            await ws.send("/quit")
            shape(await until("notice", "Bye"), "notice", text=str)
    asyncio.run(run())


def test_json_lagged(system):
    # gw3 has a tiny output cap: a JSON client that stops reading lags,
    # and is told with a lagged event once it reads again
    port = system.http_port("gw3")
    reader = RawWs(port, protocol=JSON)
    reader.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    json.loads(reader.expect_text(r'"welcome"'))
    sender = RawWs(port)
    sender.expect_text(r"Welcome")
    reader.expect_text(r'"join"')
    reader.expect_text(r'"join"')
    for index in range(400):
        sender.text("flood line %d %s" % (index, "x" * 200))
    sender.text("/who")
    sender.expect_text(r"^\* #general")
    event = json.loads(reader.expect_text(r'"lagged"'))
    check(event["type"] == "lagged" and isinstance(event["skipped"], int) and event["skipped"] > 0,
          "lagged %r" % event)


def test_metrics(system):
    port = system.metrics_port("gw1")
    body = scrape(port)
    for series in ('zchat_gateway_clients_connected{transport="ws"}',
                   'zchat_gateway_http_responses_total{result="upgrade"}',
                   'zchat_gateway_ws_close_frames_sent_total{code="1002"}',
                   'zchat_gateway_ws_close_frames_sent_total{code="1007"}',
                   'zchat_gateway_ws_close_frames_sent_total{code="1009"}'):
        check(series in body, "no %s in /metrics" % series)
    check(metric(port, 'zchat_gateway_http_responses_total{result="upgrade"}') > 5, "upgrades")
    check(metric(port, 'zchat_gateway_ws_close_frames_sent_total{code="1002"}') >= 1, "1002 count")
    ws = RawWs(system.http_port("gw1"))
    ws.expect_text(r"Welcome")
    wait_metric(port, 'zchat_gateway_clients_connected{transport="ws"}', 1)


def test_shutdown_close_frame(system):
    # A gateway that shuts down says goodbye to WebSocket clients: 1001
    system.start_gateway("gw4")
    plain = RawWs(system.http_port("gw4"))
    plain.expect_text(r"Welcome")
    events = RawWs(system.http_port("gw4"), protocol=JSON)
    events.expect_text(r'"welcome"')
    system.procs["gw4"].send_signal(signal.SIGTERM)
    plain.expect_text(r"shutting down")
    check(plain.expect_close() == 1001, "shutdown closes with 1001")
    check(events.expect_close() == 1001, "shutdown closes JSON clients with 1001")
    check(system.procs["gw4"].wait(WAIT_S) == 0, "gw4 exit status")


def test_wss(system):
    # --https-listen: the page and wss over TLS; the page's own origin is
    # https:// there, and a wss client chats with a ws client on gw1
    port = system.https_port("gw5")
    context = ssl.create_default_context(cafile=system.cert)
    raw = context.wrap_socket(connect(port), server_hostname="localhost")
    raw.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    answer = recv_until(raw, lambda data: False, "the page over TLS")
    check(answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Security-Policy" in answer,
          "GET / over TLS: %r" % answer[:80])
    raw = context.wrap_socket(connect(port), server_hostname="localhost")
    raw.sendall(upgrade_request(origin="http://localhost:%d" % port, host="localhost:%d" % port))
    answer = recv_until(raw, lambda data: b"\r\n\r\n" in data, "the refusal")
    check(answer.startswith(b"HTTP/1.1 403"), "http:// origin over TLS: %r" % answer[:40])

    async def run():
        secure = await websockets.connect("wss://localhost:%d/ws" % port, ssl=context,
                                          subprotocols=[JSON], origin="https://localhost:%d" % port)
        plain = await websockets.connect("ws://127.0.0.1:%d/ws" % system.http_port("gw1"))
        welcome = json.loads(await asyncio.wait_for(secure.recv(), WAIT_S))
        check(welcome["type"] == "welcome", "wss welcome %r" % welcome)
        while "Welcome" not in await asyncio.wait_for(plain.recv(), WAIT_S):
            pass
        await secure.send("/nick sam")
        while json.loads(await asyncio.wait_for(secure.recv(), WAIT_S))["type"] != "rename":
            pass
        await secure.send("over wss")
        while "over wss" not in (line := await asyncio.wait_for(plain.recv(), WAIT_S)):
            pass
        check(line == "[general] sam: over wss", "ws got %r" % line)
        await plain.send("back over ws")
        while True:
            event = json.loads(await asyncio.wait_for(secure.recv(), WAIT_S))
            if event["type"] == "chat":
                check(event["text"] == "back over ws", "wss got %r" % event)
                break
        await secure.close()
        await plain.close()
    asyncio.run(run())


TESTS = [test_page, test_handshake_good, test_handshake_bad, test_plain_lines_across_gateways,
         test_masking_required, test_protocol_errors, test_fragments_and_line_cap,
         test_ping_pong, test_keepalive, test_json_events, test_json_lagged, test_metrics,
         test_shutdown_close_frame, test_wss]


def main():
    work = tempfile.mkdtemp(prefix="ws-check-")
    system = System(work)
    failed = []
    try:
        system.start_router()
        system.start_gateway("gw1")
        system.start_gateway("gw2", ["--ws-ping-interval", "1"])
        system.start_gateway("gw3", ["--outbuf-max", "8192", "--sndbuf", "4096",
                                     "--rate-lines", "0"])
        system.cert, key = system.certificate()
        system.start_gateway("gw5", ["--https-listen", "127.0.0.1:0", "--tls-cert", system.cert,
                                     "--tls-key", key])
    except Failure as error:
        print("ws_check: %s" % error, file=sys.stderr)
        failed = [test.__name__ for test in TESTS]
    for test in TESTS if not failed else []:
        print("[ RUN      ] %s" % test.__name__)
        try:
            test(system)
            print("[       OK ] %s" % test.__name__)
        except Exception as error:
            print("ws_check: %s: %r" % (test.__name__, error), file=sys.stderr)
            print("[  FAILED  ] %s" % test.__name__)
            failed.append(test.__name__)
    if not system.stop():
        failed.append("clean_exit")
    if failed:
        for name in system.procs:
            path = os.path.join(work, name + ".err")
            print("---- %s ----\n%s" % (name, open(path).read()[-6000:]), file=sys.stderr)
    print("[==========] %d test(s) run." % len(TESTS))
    if failed:
        print("[  FAILED  ] %d test(s), listed below:" % len(failed))
        for name in failed:
            print("[  FAILED  ] %s" % name)
        return 1
    print("[  PASSED  ] %d test(s)." % len(TESTS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
