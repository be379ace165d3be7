#!/bin/sh
# zchat-healthcheck - container health check for the router, a gateway or
# the balancer.
#
# Usage: zchat-healthcheck router | gateway | listening PORT
# (run by docker's HEALTHCHECK). The router must answer STATUS on its
# control socket. A gateway (and the balancer) must be listening on its
# client port; this reads /proc/net/tcp{,6} instead of connecting, because
# every TCP connection to a gateway becomes a chat session (a guest joining
# and leaving #general).
set -eu

# Exit 0 if some socket listens on TCP port $1 (any address).
s_listening () {
    port_hex=$(printf '%04X' "$1")
    # Field 2 is local address:port in hex, field 4 the state (0A = LISTEN).
    exec awk -v port="$port_hex" '
        $4 == "0A" && substr ($2, length ($2) - 3) == port { found = 1 }
        END { exit found ? 0 : 1 }' /proc/net/tcp /proc/net/tcp6
}

case "${1:-}" in
router)
    # The control endpoint binds tcp://*:PORT; ask it on loopback.
    control=${ZCHAT_CONTROL:-tcp://127.0.0.1:5557}
    exec zchat-ctl --control "tcp://127.0.0.1:${control##*:}" --timeout 2000 status >/dev/null
    ;;
gateway)
    # ZCHAT_LISTEN is "0.0.0.0:8080", "[::]:8080" or "8080"
    listen=${ZCHAT_LISTEN:-127.0.0.1:8080}
    s_listening "${listen##*:}"
    ;;
listening)
    s_listening "${2:?usage: zchat-healthcheck listening PORT}"
    ;;
*)
    echo "usage: zchat-healthcheck router | gateway | listening PORT" >&2
    exit 2
    ;;
esac
