#!/bin/sh
# callgrind_gateway.sh - instructions per delivery of one gateway (stable on a noisy machine)
#
# Usage: callgrind_gateway.sh BIN_DIR [LOADGEN_FLAGS...]
# Starts a router and one gateway under valgrind --tool=callgrind on
# loopback (ports 28555-28557 and 28080, or BASE_PORT..), warms up with a
# short run, zeroes the counters, runs the load generator (default: 100
# clients in one room, 2 senders, closed loop W=8, 8 s), dumps, and prints
# the instructions per delivery: the whole process and its loop thread.
# Compare two builds by running it once with each BIN_DIR.
set -eu
bin=$(cd "$1" && pwd)
shift
[ $# -gt 0 ] || set -- --clients 100 --rooms 1 --senders 2 --mode closed --window 8 --duration 8 --drain 2
port=${BASE_PORT:-28555}
listen=${LISTEN_PORT:-28080}
work=$(mktemp -d)
endpoints="--ingress tcp://127.0.0.1:$port --publish tcp://127.0.0.1:$((port + 1))"
# shellcheck disable=SC2086
"$bin/zchat-router" $endpoints --control "tcp://127.0.0.1:$((port + 2))" > "$work/router.log" 2>&1 &
router=$!
sleep 0.5
# shellcheck disable=SC2086
valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" "$bin/zchat-gateway" \
    --listen "127.0.0.1:$listen" $endpoints --name callgrind --idle-timeout 3600 --rate-lines 0 \
    > "$work/gateway.log" 2>&1 &
gateway=$!
trap 'kill -TERM $gateway $router 2> /dev/null || true' EXIT
sleep 5
"$bin/zchat-loadgen" --servers "127.0.0.1:$listen" --quiet "$@" --duration 1 > /dev/null 2>&1 || true
callgrind_control -z "$gateway" > /dev/null 2>&1
"$bin/zchat-loadgen" --servers "127.0.0.1:$listen" --quiet "$@" > "$work/run.txt" 2>&1
callgrind_control -d "$gateway" > /dev/null 2>&1
kill -TERM "$gateway"; wait "$gateway" || true
kill -TERM "$router"; wait "$router" || true
trap - EXIT
deliveries=$(sed -n 's/.*delivered \([0-9]*\) of.*/\1/p' "$work/run.txt")
dump=$(find "$work" -name "callgrind.out.*" | head -n 1)
total=$(callgrind_annotate "$dump" 2> /dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
loop=$(callgrind_annotate "$dump" 2> /dev/null | sed -n 's/^ *\([0-9,]*\) .*(below main).*/\1/p' | head -n 1 | tr -d ,)
echo "callgrind: $deliveries deliveries; instructions per delivery: $((total / deliveries)) process, $((loop / deliveries)) loop thread"
rm -rf "$work"
