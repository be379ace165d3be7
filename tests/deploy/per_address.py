"""per_address.py - per-address caps through the balancer (netns-test.sh)

Usage: per_address.py HOST PORT COUNT

Opens COUNT connections to HOST:PORT (the balancer) from this namespace's
address and keeps them open; prints "admitted=A refused=R" where a
refused one got exactly "! too many connections from your address" and
an orderly close. Then closes them all. Run from two namespaces at once
to see that one address's refusals do not touch the other's.
"""
import socket
import sys
import time

REFUSAL = b"! too many connections from your address\r\n"
WELCOME = b"* Welcome to zchat, "
TIMEOUT_S = 5
HOLD_S = 2              # keep them open while the other namespace connects


def s_one(host, port):
    """Connect; return (socket or None, 'admitted' | 'refused' | 'other')."""
    conn = socket.create_connection((host, port), timeout=TIMEOUT_S)
    data = b""
    deadline = time.time() + TIMEOUT_S
    while time.time() < deadline:
        try:
            chunk = conn.recv(4096)
        except socket.timeout:
            break
        if not chunk:
            conn.close()
            return None, "refused" if data == REFUSAL else "other:%r" % data
        data += chunk
        if WELCOME in data:
            return conn, "admitted"
    conn.close()
    return None, "other:%r" % data


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    kept, admitted, refused, other = [], 0, 0, []
    for _ in range(count):
        conn, result = s_one(host, port)
        if result == "admitted":
            admitted += 1
            kept.append(conn)
        elif result == "refused":
            refused += 1
        else:
            other.append(result)
    time.sleep(HOLD_S)
    for conn in kept:
        conn.close()
    print("admitted=%d refused=%d other=%d" % (admitted, refused, len(other)))
    for result in other:
        print("  unexpected: %s" % result)
    return 0 if not other else 1


if __name__ == "__main__":
    sys.exit(main())
