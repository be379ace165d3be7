#!/bin/sh
# run-tests.sh - run test programs one after another and total their results.
#
# Usage: run-tests.sh LABEL PROGRAM...
# Each program is a cmocka test (or prints cmocka's summary lines). Every
# program runs even if an earlier one fails. The totals come last, in
# cmocka's summary form, and the exit status is non-zero if anything
# failed, including a program that exits non-zero or prints no summary
# (a crash or a sanitizer abort).
set -u
label=$1
shift
passed=0
failed=0
broken=""
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for program in "$@"; do
    echo "== $program"
    { "$program"; echo $? > "$work/rc"; } 2>&1 | tee "$work/log"
    rc=$(cat "$work/rc")
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$work/log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$work/log" | tail -n 1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ] || [ -z "$p$f" ]; then
        broken="$broken $(basename "$program")(exit $rc)"
        [ "${f:-0}" -eq 0 ] && failed=$((failed + 1))
    fi
done

echo
echo "[==========] $label: $((passed + failed)) test(s) run."
echo "[  PASSED  ] $passed test(s)."
if [ -n "$broken" ]; then
    echo "[  FAILED  ] $failed test(s), in:$broken"
    echo "$passed passed, $failed failed"
    exit 1
fi
echo "$passed passed, 0 failed"
