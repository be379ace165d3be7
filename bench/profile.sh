#!/bin/sh
# profile.sh - where zchat spends its CPU in one benchmark scenario
#
# Usage: profile.sh BIN_DIR GATEWAYS OUTPUT_PREFIX LOADGEN_FLAGS...
# Starts a router and GATEWAYS gateways, runs the load generator with the
# given flags, and samples every server process with `perf record -g`
# during the measured window (falls back to valgrind --tool=callgrind on
# the router alone if perf cannot record). Writes OUTPUT_PREFIX.txt (the
# load generator's summary), OUTPUT_PREFIX-perf.txt (perf report: CPU by
# process and user/kernel, then by symbol, self time first) and
# OUTPUT_PREFIX-syscalls.txt (strace -c of the router and the first gateway
# for two seconds after perf: how many system calls per delivery).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$1" && pwd)
gateways=$2
prefix=$3
shift 3
BENCH_WORK=$(mktemp -d)
. "$here/lib.sh"
trap 'bench_cleanup; rm -rf "$BENCH_WORK"' EXIT
trap 'exit 1' INT TERM
ulimit -n "$(ulimit -Hn)"

bench_start_zchat "$bin" "$gateways"
"$bin/zchat-loadgen" --servers "$ZCHAT_SERVERS" --pids "$ZCHAT_PIDS" --quiet "$@" \
    > "$prefix.txt" 2>&1 &
loadgen=$!
# The measured window starts once everyone joined and passed the barrier;
# a few seconds in is safely inside it for the bench scenarios.
sleep 3
perf record -F 997 -g -o "$BENCH_WORK/perf.data" -p "$ZCHAT_PIDS" -- sleep 5 \
    > /dev/null 2>&1 || echo "profile: perf record failed" >&2
router=$(echo "$ZCHAT_PIDS" | cut -d, -f1)
gateway=$(echo "$ZCHAT_PIDS" | cut -d, -f2)
timeout -s INT 2 strace -c -f -p "$router" -o "$BENCH_WORK/strace-router.txt" 2> /dev/null &
timeout -s INT 2 strace -c -f -p "$gateway" -o "$BENCH_WORK/strace-gateway.txt" 2> /dev/null || true
wait "$loadgen" || true
bench_stop_zchat || true
{
    perf report -i "$BENCH_WORK/perf.data" --stdio --no-children --sort comm,dso \
        -g none 2> /dev/null | grep -v '^$'
    perf report -i "$BENCH_WORK/perf.data" --stdio --no-children --sort comm,dso,symbol \
        --percent-limit 0.3 -g none 2> /dev/null | grep -v '^$'
    echo "== router, callers (inclusive)"
    perf report -i "$BENCH_WORK/perf.data" --stdio --children --comm zchat-router \
        --sort symbol --percent-limit 3 -g none 2> /dev/null | grep -v '^$'
} > "$prefix-perf.txt" || true
{
    echo "== router (pid $router), 2 s"; cat "$BENCH_WORK/strace-router.txt"
    echo "== gateway (pid $gateway), 2 s"; cat "$BENCH_WORK/strace-gateway.txt"
} > "$prefix-syscalls.txt" 2> /dev/null || true
cat "$prefix.txt"
echo "profile: $prefix-perf.txt" >&2
