#!/bin/sh
# zchat-healthcheck - container health check for the router, a gateway or
# the balancer.
#
# Usage: zchat-healthcheck router | gateway | listening PORT
# (run by docker's HEALTHCHECK). The router must answer STATUS on its
# control socket (zchat-ctl finds an operator's CURVE keys in
# ZCHAT_CTL_CURVE_SECRET / ZCHAT_CTL_CURVE_SERVER when the router runs CURVE). A gateway with a health port (ZCHAT_HEALTH_LISTEN) must
# answer there ("ok clients=N", or "not-ready ..." while the router is away); one without must be listening on its client
# port, which this reads from /proc/net/tcp{,6} instead of connecting,
# because every connection to the client port becomes a chat session (a
# guest joining and leaving #general). The balancer is checked the same
# way (listening PORT).
set -eu

# Exit 0 if the gateway's health endpoint at $1 (HOST:PORT, as in
# ZCHAT_HEALTH_LISTEN) answers "ok ..." (ready) or "not-ready ..." (alive,
# router unreachable: HAProxy sends it no new clients, but the container
# is healthy and must not be replaced for it). bash for /dev/tcp (Debian's bash
# is essential, so it is in every image).
s_health_ok () {
    port=${1##*:}
    host=${1%:*}
    case "$host" in
        ""|"*"|0.0.0.0) host=127.0.0.1 ;;
        # bound to one compose network (zchat-entrypoint): that address
        \{*\}) alias=${host#\{}; host=$(zchat-address "${alias%\}}") || exit 1 ;;
        "[::]") host=::1 ;;
        \[*\]) host=${host#\[}; host=${host%\]} ;;
    esac
    exec bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
        IFS= read -r -t 2 line <&3 || exit 1
        case "$line" in "ok "*|"not-ready "*) exit 0 ;; esac
        exit 1' "$host" "$port"
}

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
    if [ -n "${ZCHAT_HEALTH_LISTEN:-}" ]; then
        s_health_ok "$ZCHAT_HEALTH_LISTEN"
    fi
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
