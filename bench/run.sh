#!/bin/sh
# run.sh - `make bench`: scenarios S1..S5 against zchat and ngIRCd
#
# Usage: run.sh BIN_DIR (BENCH_QUICK=1 for short runs, BENCH_ONLY="S1 S3"
# for a subset). Each scenario starts its servers fresh on loopback, runs
# bin/zchat-loadgen once against zchat (router + gateways) and once against
# ngIRCd, and stops them. Results: one JSON per run and runs.tsv in
# bench/results/<time>/, the table on the terminal (and table.txt), a PNG
# chart (bench/results/bench.png), and the generated part of
# docs/BENCHMARKS.md. Progress goes to stderr as it runs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=$(cd "${1:-$root/bin}" && pwd)
loadgen="$bin/zchat-loadgen"
quick=${BENCH_QUICK:-}
only=${BENCH_ONLY:-}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$here/results/$stamp"
tsv="$out/runs.tsv"
mkdir -p "$out"
BENCH_WORK=$(mktemp -d)
. "$here/lib.sh"
trap 'bench_cleanup; rm -rf "$BENCH_WORK"' EXIT
trap 'exit 1' INT TERM
ulimit -n "$(ulimit -Hn)"

# --- scenarios (issue 4); quick mode shortens them, same shapes -----------
if [ -n "$quick" ]; then
    duration=3; s3_clients=2000; s3_hold=2; join_timeout=30
else
    duration=15; s3_clients=10000; s3_hold=5; join_timeout=60
fi
S1="--clients 500 --rooms 1 --senders 4 --mode closed --window 16 --duration $duration"
S2="--clients 2000 --rooms 200 --mode open --rate 1 --duration $duration"
S3="--clients $s3_clients --rooms 100 --mode idle --connect-rate 1000 --sources 4 --duration $s3_hold"
S5="--clients 2000 --rooms 1000 --mode closed --window 4 --duration $duration"
# ngIRCd listens with a backlog of 10: a burst of connects overflows it and
# the kernel retries the handshakes seconds later, so outside S3 (whose
# connect rate is the point) its clients log in a few at a time.
NGIRCD_PACE="--max-pending 8"
COMMON="--drain 3 --join-timeout $join_timeout --barrier-timeout 20 --quiet"
LOG_KEEP=200        # last lines of each server log kept with the results
runs=0
failures=""

wanted () {
    [ -z "$only" ] && return 0
    case " $only " in *" $1 "*) return 0 ;; esac
    return 1
}

# run_loadgen LABEL SERVER_NAME ARGS...: one loadgen run; progress on stderr.
run_loadgen () {
    label=$1
    name=$2
    shift 2
    runs=$((runs + 1))
    echo "bench: [$runs] $label $name: $*" >&2
    # shellcheck disable=SC2086
    if ! timeout 300 "$loadgen" --label "$label" --server-name "$name" \
            --json "$out/$label-$name.json" --tsv "$tsv" $COMMON "$@" \
            > "$out/$label-$name.txt" 2>&1; then
        failures="$failures $label/$name"
        echo "bench: $label $name: load generator failed" >&2
    fi
    sed 's/^/    /' "$out/$label-$name.txt" >&2
}

# zchat_case LABEL GATEWAYS ARGS...
zchat_case () {
    label=$1
    gateways=$2
    shift 2
    if bench_start_zchat "$bin" "$gateways"; then
        run_loadgen "$label" zchat --servers "$ZCHAT_SERVERS" --pids "$ZCHAT_PIDS" "$@"
    else
        failures="$failures $label/zchat(start)"
    fi
    bench_stop_zchat || failures="$failures $label/zchat(stop)"
    for log in "$BENCH_WORK"/router.log "$BENCH_WORK"/gateway*.log; do
        [ -f "$log" ] && tail -n "$LOG_KEEP" "$log" > "$out/$label-zchat-$(basename "$log")"
    done
    rm -f "$BENCH_WORK"/*.log
}

# ngircd_case LABEL ARGS...
ngircd_case () {
    label=$1
    shift
    if bench_start_ngircd "$here/ngircd.conf.in"; then
        run_loadgen "$label" ngircd --dialect irc --servers "$NGIRCD_SERVERS" \
            --pids "$NGIRCD_PID" "$@"
    else
        failures="$failures $label/ngircd(start)"
    fi
    # ngIRCd's own shutdown is not what is measured: note it, do not fail
    bench_stop_ngircd || echo "bench: $label: ngIRCd did not stop cleanly (see $label-ngircd.log)" >&2
    tail -n "$LOG_KEEP" "$BENCH_WORK/ngircd.log" > "$out/$label-ngircd.log" 2>/dev/null || true
    rm -f "$BENCH_WORK"/*.log
}

started=$(date +%s)
# shellcheck disable=SC2086
{
    if wanted S1; then zchat_case S1 2 $S1; ngircd_case S1 $S1 $NGIRCD_PACE; fi
    if wanted S2; then zchat_case S2 2 $S2; ngircd_case S2 $S2 $NGIRCD_PACE; fi
    if wanted S3; then zchat_case S3 2 $S3; ngircd_case S3 $S3; fi
    if wanted S4; then
        zchat_case S4-S1-g1 1 $S1; zchat_case S4-S1-g3 3 $S1
        zchat_case S4-S2-g1 1 $S2; zchat_case S4-S2-g3 3 $S2
    fi
    if wanted S5; then zchat_case S5 2 $S5; zchat_case S5-g3 3 $S5; ngircd_case S5 $S5 $NGIRCD_PACE; fi
}
elapsed=$(( $(date +%s) - started ))

if [ ! -s "$tsv" ]; then
    echo "bench: no results" >&2
    exit 1
fi

# --- the table, the chart, the docs ---------------------------------------
awk -v format=text -f "$here/table.awk" "$tsv" | tee "$out/table.txt"
awk -v format=markdown -f "$here/table.awk" "$tsv" > "$out/table.md"
# Only a full run speaks for the project: partial or quick runs keep their
# results in their own directory and leave latest.tsv, bench.png and the docs.
full=""
[ -z "$quick" ] && [ -z "$only" ] && full=1
[ -n "$full" ] && cp "$tsv" "$here/results/latest.tsv"
if command -v gnuplot > /dev/null; then
    awk -F '\t' 'NR == 1 || $6 != "idle"' "$tsv" > "$out/plot-load.tsv"
    gnuplot -e "load_data='$out/plot-load.tsv'; all_data='$tsv'; output='$out/bench.png'" \
        "$here/plot.gp" && echo "bench: chart $out/bench.png" >&2
    [ -n "$full" ] && cp "$out/bench.png" "$here/results/bench.png"
fi

machine=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
{
    echo "Run $stamp (UTC), $elapsed s, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)${quick:+, QUICK mode (short runs)}."
    echo
    echo "- Machine: ${machine:-unknown}, $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
    echo "- Software: $(ngircd --version 2>/dev/null | head -n 1 | cut -d- -f1), libzmq $(pkg-config --modversion libzmq), czmq $(pkg-config --modversion libczmq)"
    echo "- Command: \`make bench${quick:+ BENCH_QUICK=1}${only:+ BENCH_ONLY=\"$only\"}\` (bench/run.sh); per run: \`zchat-loadgen $COMMON <scenario flags>\`"
    echo "- Scenario flags: S1 \`$S1\`; S2 \`$S2\`; S3 \`$S3\`; S5 \`$S5\`"
    echo "- Raw results: bench/results/$stamp/ (JSON and summary per run, runs.tsv)"
    [ -n "$failures" ] && echo "- Failed runs:$failures"
    echo
    cat "$out/table.md"
    echo
    echo "![latency, CPU per delivery and RSS per connection](../bench/results/bench.png)"
} > "$out/report.md"

docs="$root/docs/BENCHMARKS.md"
if [ -z "$full" ]; then
    echo "bench: partial or quick run: $docs left alone (report in $out/report.md)" >&2
elif [ -f "$docs" ] && grep -q '<!-- bench:begin -->' "$docs"; then
    awk -v report="$out/report.md" '
        /<!-- bench:begin -->/ { print; while ((getline line < report) > 0) print line; skip = 1; next }
        /<!-- bench:end -->/   { skip = 0 }
        !skip' "$docs" > "$BENCH_WORK/docs" && cat "$BENCH_WORK/docs" > "$docs"
    echo "bench: updated $docs" >&2
fi
if [ -n "$failures" ]; then
    echo "bench: failed:$failures" >&2
    exit 1
fi
