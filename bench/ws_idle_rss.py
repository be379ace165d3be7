#!/usr/bin/python3
"""ws_idle_rss.py - gateway memory per idle WebSocket connection, beside plain TCP

Usage: bench/ws_idle_rss.py [N]   (N connections of each kind, default 2000)

Starts a router and two fresh gateways from $ZCHAT_BIN_DIR (default bin/),
one per kind, so neither inherits the other's heap. On the first, N raw
TCP clients log in (each reads its welcome line); on the second, N raw
WebSocket clients upgrade on --http-listen and read their welcome frame.
Then each gateway's VmRSS (from /proc) minus its RSS before the clients,
divided by N, is the cost of one idle logged-in client of that kind. The
clients are raw sockets that send nothing after the handshake. Pings are
off (--ws-ping-interval 0) so the measure is of idle connections only.
This is the S3 figure for WebSocket (docs/BENCHMARKS.md, S3).
"""
import base64
import os
import re
import resource
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("ZCHAT_BIN_DIR", "bin")
WAIT_S = 60
UPGRADE = ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
           % base64.b64encode(b"0123456789abcdef").decode()).encode()


def spawn(work, name, argv):
    log = os.path.join(work, name + ".err")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"))
    return proc, log


def wait_log(log, pattern):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        match = re.search(pattern, open(log).read())
        if match:
            return match
        select.select([], [], [], 0.05)
    sys.exit("ws_idle_rss: %s never logged %r" % (log, pattern))


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


BATCH = 100                 # connections opened at once: people arrive over time,
                            # so the gateway's transient buffers (request heads) are
                            # reused rather than all live at the same moment


def open_clients(port, count, upgrade, marker):
    """count sockets that each got marker (the welcome) in what they read."""
    done = []
    while len(done) < count:
        done += open_batch(port, min(BATCH, count - len(done)), upgrade, marker)
    return done


def open_batch(port, count, upgrade, marker):
    pending = {}
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        if upgrade:
            sock.sendall(UPGRADE)
        pending[sock.fileno()] = (sock, b"")
    done = []
    deadline = time.monotonic() + WAIT_S
    poller = select.epoll()
    for fd in pending:
        poller.register(fd, select.EPOLLIN)
    while pending and time.monotonic() < deadline:
        for fd, _ in poller.poll(1.0):
            sock, data = pending[fd]
            data += sock.recv(65536)
            if marker in data:
                poller.unregister(fd)
                done.append(sock)
                del pending[fd]
            else:
                pending[fd] = (sock, data)
    if pending:
        sys.exit("ws_idle_rss: %d clients never got their welcome" % len(pending))
    return done


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4 * count + 1024), hard))
    work = tempfile.mkdtemp(prefix="ws-idle-rss-")
    any_port = "tcp://127.0.0.1:*"
    router, log = spawn(work, "router", [os.path.join(BIN, "zchat-router"), "--ingress", any_port,
                                         "--publish", any_port, "--control", any_port])
    ready = wait_log(log, r"router: ready ingress=(\S+) publish=(\S+)")
    procs = [router]
    results = {}
    try:
        for kind in ("tcp", "ws"):
            gateway, log = spawn(work, kind, [
                os.path.join(BIN, "zchat-gateway"), "--listen", "127.0.0.1:0",
                "--http-listen", "127.0.0.1:0", "--ingress", ready.group(1),
                "--publish", ready.group(2), "--name", kind, "--ws-ping-interval", "0",
                "--max-clients", str(count + 100), "--no-telnet-offer"])
            procs.append(gateway)
            line = wait_log(log, r"gateway: listening .*").group(0)
            wait_log(log, r"gateway: welcomed")
            port = int(re.search(r" %s=(\d+)" % ("port" if kind == "tcp" else "http"), line).group(1))
            before = rss_kb(gateway.pid)
            clients = open_clients(port, count, kind == "ws", b"Welcome to zchat")
            time.sleep(1)       # let the last logins' replies settle (not a sync point)
            after = rss_kb(gateway.pid)
            results[kind] = (before, after)
            for sock in clients:
                sock.close()
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    for kind, (before, after) in results.items():
        print("%-3s %d idle clients: RSS %d kB -> %d kB, %.2f kB per client"
              % (kind, count, before, after, (after - before) / count))


if __name__ == "__main__":
    main()
