#!/bin/sh
# run.sh - start one router and one gateway on localhost, in the foreground.
#
# Usage: run.sh BIN_DIR. Logs from both go to this terminal. Ctrl+C (or
# SIGTERM to this script) goes to the router alone, which drains the
# gateway; both then exit. The servers run in their own sessions (setsid)
# so the terminal's SIGINT does not reach them directly: a gateway that
# got it too would drain on its own instead of with the router.
# Any ZCHAT_* variable set in the environment passes through.
set -eu
bin=${1:-bin}
setsid "$bin/zchat-router" &
router=$!
setsid "$bin/zchat-gateway" &
gateway=$!

stop() {
    trap '' INT TERM
    kill -TERM "$router" 2>/dev/null || true
    wait "$router" 2>/dev/null || true
    wait "$gateway" 2>/dev/null || true
    exit 0
}
trap stop INT TERM
echo "zchat: router pid $router, gateway pid $gateway;" \
     "connect with: telnet localhost 8080 (Ctrl+C stops both)" >&2
wait "$gateway" || true
stop
