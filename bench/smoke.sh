#!/bin/sh
# smoke.sh - keep the load generator working: a short run in `make test`
#
# A router and two gateways, 300 clients in 30 rooms, closed loop for two
# seconds: every client must join and every message must reach every other
# member of its room exactly once, in order, and nowhere else. Prints
# cmocka's summary lines for scripts/run-tests.sh. Not a benchmark.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${ZCHAT_BIN_DIR:-$here/../bin}
BENCH_WORK=$(mktemp -d)
. "$here/lib.sh"
trap 'bench_cleanup; rm -rf "$BENCH_WORK"' EXIT
trap 'exit 1' INT TERM

echo "[==========] Running 1 test(s)."
echo "[ RUN      ] loadgen_smoke"
ok=1
if ! bench_start_zchat "$bin" 2; then
    ok=0
elif ! "$bin/zchat-loadgen" --servers "$ZCHAT_SERVERS" --pids "$ZCHAT_PIDS" \
        --clients 300 --rooms 30 --mode closed --window 4 --duration 2 --drain 3 \
        --account 600 --join-timeout 20 --barrier-timeout 10 --label smoke --quiet \
        --expect-clean; then
    ok=0
fi
if ! bench_stop_zchat; then
    echo "smoke: a server did not stop cleanly" >&2
    ok=0
fi
if [ "$ok" -eq 0 ]; then
    for log in "$BENCH_WORK"/*.log; do
        echo "--- $log" >&2
        tail -n 20 "$log" >&2
    done
    echo "[  FAILED  ] loadgen_smoke"
    echo "[==========] 1 test(s) run."
    echo "[  FAILED  ] 1 test(s), listed below:"
    echo "[  FAILED  ] loadgen_smoke"
    exit 1
fi
echo "[       OK ] loadgen_smoke"
echo "[==========] 1 test(s) run."
echo "[  PASSED  ] 1 test(s)."
