#!/bin/sh
# run.sh - run libFuzzer targets, each for a fixed time, and fail on any finding
#
# Usage: run.sh BUILD_DIR SECONDS NAME...
# Each target starts from a copy of its seed corpus (the committed one is
# only read) and writes what it finds under BUILD_DIR/work/NAME. A crash,
# leak, timeout, out-of-memory or sanitizer report fails the run; the
# reproducer stays in BUILD_DIR/crashes/NAME/ and the command that
# replays it is printed. Copy it into fuzz/regressions/NAME/ once fixed,
# so `make test` keeps replaying it.
set -u
build=$1
seconds=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
failed=""
for name in "$@"; do
    binary="$build/fuzz_$name"
    [ -x "$binary" ] || { echo "fuzz: no target $binary"; failed="$failed $name"; continue; }
    work="$build/work/$name"
    crashes="$build/crashes/$name"
    mkdir -p "$work" "$crashes"
    cp -n "$top/fuzz/corpus/$name/"* "$work/" 2>/dev/null
    dict=""
    [ -f "$top/fuzz/dict/$name.dict" ] && dict="-dict=$top/fuzz/dict/$name.dict"
    echo "== fuzz $name for ${seconds}s"
    # shellcheck disable=SC2086
    "$binary" $dict -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$work" \
        > "$build/$name.log" 2>&1
    rc=$?
    grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)|cov:' \
        "$build/$name.log" | tail -n 3
    if [ $rc -ne 0 ]; then
        tail -n 40 "$build/$name.log"
        for found in "$crashes"/*; do
            [ -f "$found" ] && echo "fuzz: $name found $found; replay: $binary $found"
        done
        failed="$failed $name"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: FAILED:$failed"
    exit 1
fi
echo "fuzz: all targets ran ${seconds}s with no finding: $*"
