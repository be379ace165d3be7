#!/bin/sh
# replay.sh - run every kept fuzz input through its target (part of make test)
#
# Each replay_<name> binary (fuzz/fuzz.mk) gets fuzz/corpus/<name> and
# fuzz/regressions/<name>; it prints cmocka's summary, which this script
# passes on as one total for scripts/run-tests.sh. ZCHAT_FUZZ_DIR (set by
# fuzz/fuzz.mk) is where this build's replays are.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${ZCHAT_FUZZ_DIR:-$top/build/fuzz}
total=0
status=0
for replay in "$dir"/replay_*; do
    [ -x "$replay" ] || continue
    name=${replay##*/replay_}
    out=$("$replay" "$top/fuzz/corpus/$name" "$top/fuzz/regressions/$name" 2>&1)
    rc=$?
    count=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p')
    if [ $rc -ne 0 ] || [ -z "$count" ]; then
        printf '%s\n' "$out"
        echo "replay: $name failed (exit $rc)"
        status=1
    else
        echo "replay: $name $count input(s)"
        total=$((total + count))
    fi
done
[ $total -gt 0 ] || { echo "replay: no input replayed from $dir"; status=1; }
echo "[==========] fuzz replays: $total test(s) run."
if [ $status -eq 0 ]; then
    echo "[  PASSED  ] $total test(s)."
else
    echo "[  FAILED  ] 1 test(s), listed below:"
fi
exit $status
