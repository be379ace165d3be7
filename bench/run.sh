#!/bin/sh
# run.sh - `make bench`: scenarios S1..S5 against zchat, InspIRCd and ngIRCd
#
# Usage: run.sh BIN_DIR (BENCH_QUICK=1 for short runs, BENCH_ONLY="S1 S3"
# for a subset of scenarios, BENCH_SERVERS="zchat inspircd" for a subset of
# servers). Each run starts its servers fresh on loopback, runs
# bin/zchat-loadgen once against them, and stops them: zchat (router +
# gateways) in its default configuration and, in S1, S2 and S5, with the
# SQLite store or without metrics; InspIRCd and ngIRCd with their flood and
# connection limits lifted. Results: one JSON per run and runs.tsv in
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
# The load generator counts system calls on a tracepoint whose id is in
# tracefs: mount it where a machine (a container) has not
if [ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
    mount -t tracefs tracefs /sys/kernel/tracing 2> /dev/null \
        || echo "bench: no tracefs: system calls will not be counted (n/a)" >&2
fi

# --- scenarios (issues 4, 9, 12, 15); quick mode shortens them, same shapes --
if [ -n "$quick" ]; then
    duration=3; s3_clients=2000; s3_hold=2; join_timeout=30
else
    duration=15; s3_clients=10000; s3_hold=5; join_timeout=60
fi
S1="--clients 500 --rooms 1 --senders 4 --mode closed --window 16 --duration $duration"
S2_SHAPE="--clients 2000 --rooms 200 --mode open --duration $duration"
S2="$S2_SHAPE --rate 1"
S2_R5="$S2_SHAPE --rate 5"
S2_R10="$S2_SHAPE --rate 10"
S3="--clients $s3_clients --rooms 100 --mode idle --connect-rate 1000 --sources 4 --duration $s3_hold"
S5="--clients 2000 --rooms 1000 --mode closed --window 4 --duration $duration"
# The accounting phase after each run (system calls and context switches
# per message, over a fixed number of messages of the same shape): about
# one to two seconds of each scenario's traffic at zchat's rate
ACCOUNT_S1="--account 10000"
ACCOUNT_S2="--account 4000"
ACCOUNT_S2_R5="--account 10000"
ACCOUNT_S2_R10="--account 20000"
ACCOUNT_S5="--account 50000"
# S3's transports: each one is a row per server; WebSocket joins this
# list once the load generator speaks it (bench/ws_idle_rss.py until then)
S3_TRANSPORTS="tcp tls"
# ngIRCd listens with a backlog of 10: a burst of connects overflows it and
# the kernel retries the handshakes seconds later, so outside S3 (whose
# connect rate is the point) its clients log in a few at a time.
NGIRCD_PACE="--max-pending 8"
COMMON="--drain 3 --join-timeout $join_timeout --barrier-timeout 20 --quiet"
LOG_KEEP=200        # last lines of each server log kept with the results
SCRAPE_INTERVAL=5   # seconds between scrapes of zchat's /metrics (deploy/prometheus)
ALL_SERVERS="zchat zchat-sqlite zchat-nometrics inspircd ngircd"
servers=${BENCH_SERVERS:-$ALL_SERVERS}
BENCH_COMMANDS="$out/commands.txt"
runs=0
failures=""

wanted () {
    [ -z "$only" ] && return 0
    case " $only " in *" $1 "*) return 0 ;; esac
    return 1
}

serving () {
    case " $servers " in *" $1 "*) return 0 ;; esac
    return 1
}

# run_loadgen LABEL SERVER_NAME ARGS...: one loadgen run; progress on stderr.
run_loadgen () {
    label=$1
    name=$2
    shift 2
    runs=$((runs + 1))
    echo "bench: [$runs] $label $name: $*" >&2
    echo "zchat-loadgen --label $label --server-name $name $COMMON $*" >> "$BENCH_COMMANDS"
    # shellcheck disable=SC2086
    if ! timeout 300 "$loadgen" --label "$label" --server-name "$name" \
            --json "$out/$label-$name.json" --tsv "$tsv" $COMMON "$@" \
            > "$out/$label-$name.txt" 2>&1; then
        failures="$failures $label/$name"
        echo "bench: $label $name: load generator failed" >&2
    fi
    sed 's/^/    /' "$out/$label-$name.txt" >&2
}

# zchat_case LABEL NAME GATEWAYS ARGS...: NAME zchat is the default
# configuration (memory store, metrics on); zchat-sqlite keeps history in
# SQLite, zchat-nometrics serves no metrics.
zchat_case () {
    label=$1
    name=$2
    gateways=$3
    shift 3
    serving "$name" || return 0
    BENCH_STORE=memory
    BENCH_METRICS=on
    case $name in
        zchat-sqlite)    BENCH_STORE=sqlite ;;
        zchat-nometrics) BENCH_METRICS=off ;;
    esac
    echo "# $label $name" >> "$BENCH_COMMANDS"
    if bench_start_zchat "$bin" "$gateways"; then
        [ "$BENCH_METRICS" = on ] && bench_start_scraper "$SCRAPE_INTERVAL"
        run_loadgen "$label" "$name" --servers "$ZCHAT_SERVERS" --pids "$ZCHAT_PIDS" "$@"
    else
        failures="$failures $label/$name(start)"
    fi
    bench_stop_scraper || true
    bench_stop_zchat || failures="$failures $label/$name(stop)"
    for log in "$BENCH_WORK"/router.log "$BENCH_WORK"/gateway*.log; do
        [ -f "$log" ] && tail -n "$LOG_KEEP" "$log" > "$out/$label-$name-$(basename "$log")"
    done
    rm -f "$BENCH_WORK"/*.log "$BENCH_WORK"/history.db*
}

# peer_case LABEL NAME ARGS...: one run against an IRC peer (NAME ngircd
# or inspircd, started by lib.sh's bench_start_NAME with bench/NAME.conf.in)
peer_case () {
    label=$1
    name=$2
    shift 2
    serving "$name" || return 0
    echo "# $label $name" >> "$BENCH_COMMANDS"
    if "bench_start_$name" "$here/$name.conf.in"; then
        run_loadgen "$label" "$name" --dialect irc --servers "$PEER_SERVERS" \
            --pids "$PEER_PID" "$@"
    else
        failures="$failures $label/$name(start)"
    fi
    # a peer's own shutdown is not what is measured: note it, do not fail
    "bench_stop_$name" || echo "bench: $label: $name did not stop cleanly (see $label-$name.log)" >&2
    cat "$BENCH_WORK/$name"*.log 2> /dev/null | tail -n "$LOG_KEEP" > "$out/$label-$name.log" || true
    rm -f "$BENCH_WORK"/*.log
}

# peers_case LABEL ARGS...: the same run against InspIRCd and ngIRCd
peers_case () {
    peers_label=$1
    shift
    peer_case "$peers_label" inspircd "$@"
    # shellcheck disable=SC2086
    peer_case "$peers_label" ngircd "$@" $NGIRCD_PACE
}

# s3_case TRANSPORT: idle connections over one transport (tcp or tls),
# every server that speaks it (all of them: with BENCH_TLS=on each also
# serves TLS, bench/lib.sh); the label names the transport when it is not
# plain TCP
s3_case () {
    transport=$1
    label=S3
    [ "$transport" = tcp ] || label="S3-$transport"
    BENCH_TLS=off
    [ "$transport" = tls ] && BENCH_TLS=on
    # shellcheck disable=SC2086
    zchat_case "$label" zchat 2 $S3 --transport "$transport"
    # shellcheck disable=SC2086
    peer_case "$label" inspircd $S3 --transport "$transport"
    # shellcheck disable=SC2086
    peer_case "$label" ngircd $S3 --transport "$transport"
    BENCH_TLS=off
}

started=$(date +%s)
# shellcheck disable=SC2086
{
    if wanted S1; then
        for name in zchat zchat-sqlite zchat-nometrics; do zchat_case S1 $name 2 $S1 $ACCOUNT_S1; done
        peers_case S1 $S1 $ACCOUNT_S1
    fi
    if wanted S2; then
        for name in zchat zchat-sqlite zchat-nometrics; do zchat_case S2 $name 2 $S2 $ACCOUNT_S2; done
        peers_case S2 $S2 $ACCOUNT_S2
        # the rate ramp: the same rooms at 5 and 10 messages/s per client
        zchat_case S2-r5 zchat 2 $S2_R5 $ACCOUNT_S2_R5
        peers_case S2-r5 $S2_R5 $ACCOUNT_S2_R5
        zchat_case S2-r10 zchat 2 $S2_R10 $ACCOUNT_S2_R10
        peers_case S2-r10 $S2_R10 $ACCOUNT_S2_R10
    fi
    if wanted S3; then
        for transport in $S3_TRANSPORTS; do s3_case "$transport"; done
        # WebSocket: the load generator does not speak it yet, so
        # bench/ws_idle_rss.py opens the idle clients (one fresh gateway per
        # kind, plain TCP beside WebSocket, in this same run)
        if serving zchat; then
            echo "# S3-ws zchat: bench/ws_idle_rss.py $s3_clients" >> "$BENCH_COMMANDS"
            ZCHAT_BIN_DIR="$bin" /usr/bin/python3 "$here/ws_idle_rss.py" "$s3_clients" \
                > "$out/S3-ws.txt" 2>&1 || failures="$failures S3-ws/zchat"
        fi
    fi
    if wanted S4; then
        zchat_case S4-S1-g1 zchat 1 $S1; zchat_case S4-S1-g3 zchat 3 $S1
        zchat_case S4-S2-g1 zchat 1 $S2; zchat_case S4-S2-g3 zchat 3 $S2
    fi
    if wanted S5; then
        zchat_case S5 zchat 2 $S5 $ACCOUNT_S5; zchat_case S5 zchat-sqlite 2 $S5 $ACCOUNT_S5
        zchat_case S5-g3 zchat 3 $S5 $ACCOUNT_S5
        peers_case S5 $S5 $ACCOUNT_S5
    fi
}
elapsed=$(( $(date +%s) - started ))

if [ ! -s "$tsv" ]; then
    echo "bench: no results" >&2
    exit 1
fi

# --- the header, the table, the chart, the docs ---------------------------
machine=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
inspircd_version=$(inspircd --version 2>/dev/null | sed -n 's/^InspIRCd-\([0-9.]*\).*/InspIRCd \1/p' | head -n 1)
ngircd_version=$(ngircd --version 2>/dev/null | head -n 1 | cut -d- -f1)
command="make bench${quick:+ BENCH_QUICK=1}${only:+ BENCH_ONLY=\"$only\"}${BENCH_SERVERS:+ BENCH_SERVERS=\"$BENCH_SERVERS\"}"
{
    echo "Run $stamp (UTC), $elapsed s, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)${quick:+, QUICK mode (short runs)}."
    echo
    echo "- Machine: ${machine:-unknown}, $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- Date: $(date -u -d "@$started" '+%Y-%m-%d %H:%M') to $(date -u '+%H:%M') UTC"
    echo "- Software: ${inspircd_version:-InspIRCd unknown}, ${ngircd_version:-ngIRCd unknown}, libzmq $(pkg-config --modversion libzmq), czmq $(pkg-config --modversion libczmq), SQLite $(pkg-config --modversion sqlite3 2>/dev/null || echo unknown)"
    echo "- Command: \`$command\` (bench/run.sh); per run: \`zchat-loadgen $COMMON <scenario flags>\`; every server and load generator command line in bench/results/$stamp/commands.txt"
    echo "- Scenario flags: S1 \`$S1\`; S2 \`$S2_SHAPE --rate 1|5|10\`; S3 \`$S3\`; S5 \`$S5\`; accounting phase \`--account N\` (S1 10 000, S2 4 000 / 10 000 / 20 000 at 1 / 5 / 10 msg/s, S5 50 000)"
    echo "- Flood control off in every server: zchat gateways \`--rate-lines 0\`; InspIRCd \`<connect commandrate=\"1000000000\" threshold=\"1000000\" fakelag=\"no\">\` (bench/inspircd.conf.in); ngIRCd \`MaxPenaltyTime = 0\` (bench/ngircd.conf.in)"
    wanted S3 && echo "- TLS (S3/tls): every server serves the same throw-away P-256 certificate, TLS 1.2 and 1.3 only, ECDHE (X25519, P-256, P-384) with AES-GCM or ChaCha20-Poly1305: zchat gateways with OpenSSL (gateway/tls.c), InspIRCd (ssl_gnutls) and ngIRCd with GnuTLS and one priority string (bench/inspircd.conf.in, bench/ngircd.conf.in)"
    echo "- zchat configuration: default (history in the memory store, metrics on: \`--metrics-listen 127.0.0.1:0\` on the router and every gateway, each scraped every $SCRAPE_INTERVAL s as Prometheus does in deploy/); zchat-sqlite: \`--store sqlite:PATH\` (a fresh file in a temp dir per run); zchat-nometrics: no \`--metrics-listen\`"
    echo "- Raw results: bench/results/$stamp/ (JSON and summary per run, runs.tsv, server logs)"
    [ -n "$failures" ] && echo "- Failed runs:$failures"
    echo
} > "$out/header.md"
cat "$out/header.md"
awk -v format=text -f "$here/table.awk" "$tsv" | tee "$out/table.txt"
awk -v format=markdown -f "$here/table.awk" "$tsv" > "$out/table.md"
if [ -s "$out/S3-ws.txt" ]; then
    {
        echo
        echo "S3 over WebSocket (bench/ws_idle_rss.py $s3_clients: one gateway per kind, RSS after minus before, per idle client):"
        echo
        sed 's/^/    /' "$out/S3-ws.txt"
    } > "$out/ws.md"
    cat "$out/ws.md"
fi
# Only a full run speaks for the project: partial or quick runs keep their
# results in their own directory and leave latest.tsv, bench.png and the docs.
full=""
[ -z "$quick" ] && [ -z "$only" ] && [ -z "${BENCH_SERVERS:-}" ] && full=1
[ -n "$full" ] && cp "$tsv" "$here/results/latest.tsv"
if command -v gnuplot > /dev/null; then
    awk -F '\t' 'NR == 1 || $6 != "idle"' "$tsv" > "$out/plot-load.tsv"
    gnuplot -e "load_data='$out/plot-load.tsv'; all_data='$tsv'; output='$out/bench.png'" \
        "$here/plot.gp" && echo "bench: chart $out/bench.png" >&2
    [ -n "$full" ] && cp "$out/bench.png" "$here/results/bench.png"
fi

{
    cat "$out/header.md"
    cat "$out/table.md"
    [ -s "$out/ws.md" ] && cat "$out/ws.md"
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
