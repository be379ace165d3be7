#!/usr/bin/python3
"""ws_chat.py - a browser's way in, through the balancer: page, WebSocket, chat.

Usage: ws_chat.py HOST HTTP_PORT TCP_PORT [--room ROOM]

Run by tests/deploy/compose-test.sh against the compose stack. Through
the balancer's HTTP port: GET / is the chat page (200, text/html, a strict
Content-Security-Policy); GET /ws upgrades with the zchat.v1.json
subprotocol (python3-websockets, with the page's own Origin as a browser
sends it) and gets a welcome event. A telnet client through the
balancer's TCP port and the WebSocket client meet in one room and each
sees the other's line, with the right nickname: the JSON events as
docs/PROTOCOL.md gives them. Prints a transcript; exits 1 on a failure.
"""
import argparse
import asyncio
import http.client
import json
import socket
import sys
import time

import websockets

TIMEOUT_S = 15
SUBPROTOCOL = "zchat.v1.json"


class Telnet:
    """A raw TCP client that skips the gateway's IAC triples."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT_S)
        self.buffer = b""

    def send(self, line):
        print("tcp  >", line)
        self.sock.sendall(line.encode() + b"\r\n")

    def _strip(self):
        out = bytearray()
        index = 0
        while index < len(self.buffer):
            if self.buffer[index] == 0xFF:
                if index + 2 >= len(self.buffer):
                    break
                index += 3
                continue
            out.append(self.buffer[index])
            index += 1
        return bytes(out), self.buffer[index:]

    def expect(self, want):
        """Read lines until one satisfies want (a string or a predicate)."""
        test = want if callable(want) else (lambda line: line == want)
        deadline = time.monotonic() + TIMEOUT_S
        text = b""
        while time.monotonic() < deadline:
            clean, self.buffer = self._strip()
            text += clean
            while b"\r\n" in text:
                raw, text = text.split(b"\r\n", 1)
                line = raw.decode("utf-8", "replace")
                print("tcp  <", line)
                if test(line):
                    self.buffer = text + self.buffer
                    return line
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            data = self.sock.recv(4096)
            if not data:
                break
            self.buffer += data
        raise AssertionError(f"telnet: no line {want!r}")


async def ws_expect(ws, test, what):
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        message = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
        print("ws   <", message)
        event = json.loads(message)
        assert isinstance(event, dict) and "type" in event, f"not an event: {message}"
        if test(event):
            return event
    raise AssertionError(f"websocket: no event {what}")


async def ws_send(ws, line):
    print("ws   >", line)
    await ws.send(line)


def check_page(host, port):
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
    connection.request("GET", "/")
    response = connection.getresponse()
    body = response.read()
    csp = response.getheader("Content-Security-Policy", "")
    print(f"http < GET / {response.status} {response.getheader('Content-Type')}"
          f" {len(body)} bytes; CSP: {csp}")
    assert response.status == 200, response.status
    assert response.getheader("Content-Type", "").startswith("text/html")
    assert "default-src 'self'" in csp
    assert b"/app.js" in body


async def chat(args):
    check_page(args.host, args.http_port)
    room = args.room
    telnet = Telnet(args.host, args.tcp_port)
    telnet.expect(lambda line: line.startswith("* Welcome to zchat"))
    telnet.send("/nick tcpuser")
    telnet.expect(lambda line: line.endswith(" is now known as tcpuser"))
    telnet.send(f"/join {room}")
    telnet.expect(f"* tcpuser joined #{room}")

    origin = f"http://{args.host}:{args.http_port}"
    uri = f"ws://{args.host}:{args.http_port}/ws"
    async with websockets.connect(uri, subprotocols=[SUBPROTOCOL], origin=origin,
                                  open_timeout=TIMEOUT_S) as ws:
        assert ws.subprotocol == SUBPROTOCOL, ws.subprotocol
        print("ws   : open", uri, "subprotocol", ws.subprotocol)
        await ws_expect(ws, lambda e: e["type"] == "welcome", "welcome")
        await ws_send(ws, "/nick wsuser")
        await ws_expect(ws, lambda e: e["type"] == "rename" and e.get("to") == "wsuser",
                        "rename to wsuser")
        await ws_send(ws, f"/join {room}")
        await ws_expect(ws, lambda e: e["type"] == "join" and e.get("nick") == "wsuser"
                        and e.get("room") == room, "own join")
        telnet.expect(f"* wsuser joined #{room}")

        telnet.send("hello websocket")
        await ws_expect(ws, lambda e: e["type"] == "chat" and e.get("nick") == "tcpuser"
                        and e.get("text") == "hello websocket" and e.get("room") == room,
                        "tcpuser's line")
        await ws_send(ws, "hello telnet")
        telnet.expect(f"[{room}] wsuser: hello telnet")
        await ws_send(ws, "/who")
        members = await ws_expect(ws, lambda e: e["type"] == "members", "members")
        assert sorted(members["members"]) == ["tcpuser", "wsuser"], members
        await ws_send(ws, "/quit")
        telnet.expect(lambda line: line.startswith(f"* wsuser left #{room}"))
    telnet.send("/quit")
    print("ws_chat: ok")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("http_port", type=int)
    parser.add_argument("tcp_port", type=int)
    parser.add_argument("--room", default="web")
    args = parser.parse_args()
    try:
        asyncio.run(chat(args))
    except (AssertionError, OSError, asyncio.TimeoutError,
            websockets.exceptions.WebSocketException) as error:
        print(f"ws_chat: FAIL: {error!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
