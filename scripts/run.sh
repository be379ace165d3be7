#!/bin/sh
# run.sh - start one router and one gateway on localhost, in the foreground.
#
# Usage: run.sh BIN_DIR. Logs from both go to this terminal. Ctrl+C (or
# SIGTERM to this script) goes to the router alone, which drains the
# gateway; both then exit. The servers run in their own sessions (setsid)
# so the terminal's SIGINT does not reach them directly: a gateway that
# got it too would drain on its own instead of with the router.
# Any ZCHAT_* variable set in the environment passes through.
# The gateway also serves TLS on localhost:6697, with a self-signed
# certificate made once into build/run-tls/ (ZCHAT_TLS_LISTEN= turns it off),
# and the chat page: ZCHAT_HTTP_LISTEN, 127.0.0.1:8081 unless set (empty: off).
set -eu
bin=${1:-bin}
ZCHAT_HTTP_LISTEN=${ZCHAT_HTTP_LISTEN-127.0.0.1:8081}
export ZCHAT_HTTP_LISTEN
drain_timeout=${ZCHAT_DRAIN_TIMEOUT:-10}
tls_dir=build/run-tls
: "${ZCHAT_TLS_LISTEN=127.0.0.1:6697}"
if [ -n "$ZCHAT_TLS_LISTEN" ] && [ -z "${ZCHAT_TLS_CERT:-}" ]; then
    if [ ! -f "$tls_dir/cert.pem" ]; then
        mkdir -p "$tls_dir"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
            -keyout "$tls_dir/key.pem" -out "$tls_dir/cert.pem" -subj /CN=localhost \
            -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
    fi
    ZCHAT_TLS_CERT=$tls_dir/cert.pem
    ZCHAT_TLS_KEY=$tls_dir/key.pem
fi
# The page over TLS (wss) on 8443 with the same certificate, when TLS is on
: "${ZCHAT_HTTPS_LISTEN=${ZCHAT_TLS_CERT:+127.0.0.1:8443}}"
export ZCHAT_TLS_LISTEN ZCHAT_TLS_CERT ZCHAT_TLS_KEY ZCHAT_HTTPS_LISTEN
setsid "$bin/zchat-router" &
router=$!
# The chat page and WebSocket clients on 8081, unless told otherwise
export ZCHAT_HTTP_LISTEN="${ZCHAT_HTTP_LISTEN-127.0.0.1:8081}"
setsid "$bin/zchat-gateway" &
gateway=$!

# Wait up to $2 seconds for pid $1 to exit; return 1 if it is still there.
wait_gone() {
    ticks=$(($2 * 10))
    while kill -0 "$1" 2>/dev/null; do
        [ "$ticks" -le 0 ] && return 1
        ticks=$((ticks - 1))
        sleep 0.1
    done
}

stop() {
    trap '' INT TERM
    kill -TERM "$router" 2>/dev/null || true
    # The router's drain tells the gateway to finish; if the router is
    # gone without draining it, stop the gateway on its own.
    wait_gone "$router" $((drain_timeout + 2)) || kill -KILL "$router" 2>/dev/null || true
    wait_gone "$gateway" 3 || kill -TERM "$gateway" 2>/dev/null || true
    wait_gone "$gateway" 5 || kill -KILL "$gateway" 2>/dev/null || true
    exit 0
}
trap stop INT TERM
echo "zchat: router pid $router, gateway pid $gateway;" \
     "connect with: telnet localhost 8080 (Ctrl+C stops both)" >&2
[ -n "$ZCHAT_TLS_LISTEN" ] && echo "zchat: TLS on $ZCHAT_TLS_LISTEN:" \
     "openssl s_client -quiet -connect $ZCHAT_TLS_LISTEN" >&2
if [ -n "$ZCHAT_HTTP_LISTEN" ]; then
    echo "zchat: the chat page: http://localhost:${ZCHAT_HTTP_LISTEN##*:}/" >&2
fi
[ -n "$ZCHAT_HTTPS_LISTEN" ] && echo "zchat: and over TLS: https://localhost:${ZCHAT_HTTPS_LISTEN##*:}/" \
     "(self-signed: the browser asks first)" >&2
# If either server exits by itself (a bind error, say), stop the other.
while kill -0 "$router" 2>/dev/null && kill -0 "$gateway" 2>/dev/null; do
    sleep 0.5
done
stop
