# lib.sh - start and stop the servers under test (sourced by run.sh, smoke.sh)
#
# Every server runs on loopback, on ports the kernel picks (zchat) or that
# were free a moment ago (ngIRCd and InspIRCd, which cannot report a port 0
# bind), with its log in $BENCH_WORK. Only processes started here are ever
# signalled, by their pid; bench_cleanup stops whatever is still running.
#
# zchat runs in its default configuration unless told otherwise: history in
# the memory store (BENCH_STORE=sqlite puts it in a fresh SQLite file in
# $BENCH_WORK) and metrics served on an ephemeral loopback port by the
# router and every gateway (BENCH_METRICS=off turns them off).

BENCH_WORK=${BENCH_WORK:-$(mktemp -d)}
BENCH_STARTED=""            # pids started here, for bench_cleanup
BENCH_WAIT_TRIES=150        # 0.1 s each: a server has 15 s to get ready
BENCH_STOP_TRIES=150        # 0.1 s each: then SIGKILL
BENCH_STORE=${BENCH_STORE:-memory}      # memory or sqlite
BENCH_METRICS=${BENCH_METRICS:-on}      # on or off
BENCH_TLS=${BENCH_TLS:-off}             # on: servers also serve TLS, *_SERVERS are TLS ports
BENCH_COMMANDS=${BENCH_COMMANDS:-/dev/null}     # each server's command line goes here

# bench_command ARGS...: note a command line, then run it in the background
bench_command () {
    echo "$*" >> "$BENCH_COMMANDS"
    "$@" &
}

# bench_wait_line FILE PATTERN PID: wait until FILE has a line matching
# PATTERN (grep -E); fail if PID dies first or time runs out.
bench_wait_line () {
    tries=0
    while ! grep -E -q "$2" "$1" 2>/dev/null; do
        if ! kill -0 "$3" 2>/dev/null; then
            echo "bench: process $3 died before '$2'; its log:" >&2
            tail -n 20 "$1" >&2
            return 1
        fi
        tries=$((tries + 1))
        if [ "$tries" -ge "$BENCH_WAIT_TRIES" ]; then
            echo "bench: no '$2' in $1 after $((BENCH_WAIT_TRIES / 10)) s" >&2
            return 1
        fi
        sleep 0.1
    done
}

# bench_stop PID...: SIGTERM, wait, then SIGKILL what is left. Returns
# non-zero if a process had to be killed or exited non-zero.
bench_stop () {
    rc=0
    for pid in "$@"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "$@"; do
        tries=0
        while kill -0 "$pid" 2>/dev/null && [ "$tries" -lt "$BENCH_STOP_TRIES" ]; do
            # a child of this shell stays a zombie until waited for
            if [ "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" = "Z" ]; then
                break
            fi
            tries=$((tries + 1))
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null && [ "$(ps -o stat= -p "$pid" | cut -c1)" != "Z" ]; then
            echo "bench: pid $pid did not stop, killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
            rc=1
        fi
        status=0
        wait "$pid" 2>/dev/null || status=$?
        # 127: not our child (already reaped); BENCH_STOP_STATUS: how the
        # server says it stopped on SIGTERM; anything else is a failure
        if [ "$status" -ne 0 ] && [ "$status" -ne 127 ] \
        && [ "$status" -ne "${BENCH_STOP_STATUS:-0}" ]; then
            echo "bench: pid $pid exited with status $status" >&2
            rc=1
        fi
    done
    remaining=""
    for pid in $BENCH_STARTED; do
        case " $* " in *" $pid "*) ;; *) remaining="$remaining $pid" ;; esac
    done
    BENCH_STARTED=$remaining
    return $rc
}

bench_cleanup () {
    if [ -n "$BENCH_STARTED" ]; then
        # shellcheck disable=SC2086
        bench_stop $BENCH_STARTED || true
    fi
}

# bench_tls_cert: the throw-away certificate every server under test
# serves TLS with (P-256, made once per run in $BENCH_WORK: tls.pem, tls.key)
bench_tls_cert () {
    [ -f "$BENCH_WORK/tls.pem" ] && return 0
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj /CN=localhost -keyout "$BENCH_WORK/tls.key" -out "$BENCH_WORK/tls.pem" 2> /dev/null
}

# bench_start_zchat BIN GATEWAYS: a router and GATEWAYS gateways. Sets
# ZCHAT_SERVERS (host:port list), ZCHAT_PIDS (router first), ZCHAT_ROUTER.
bench_start_zchat () {
    bin=$1
    gateways=$2
    log="$BENCH_WORK/router.log"
    store=memory
    if [ "$BENCH_STORE" = sqlite ]; then
        rm -f "$BENCH_WORK"/history.db*
        store="sqlite:$BENCH_WORK/history.db"
    fi
    metrics=""
    [ "$BENCH_METRICS" = on ] && metrics="--metrics-listen 127.0.0.1:0"
    # BENCH_TLS=on: each gateway also serves TLS (a throw-away certificate),
    # and ZCHAT_SERVERS lists the TLS ports instead of the plain ones
    tls=""
    if [ "$BENCH_TLS" = on ]; then
        bench_tls_cert || return 1
        tls="--tls-listen 127.0.0.1:0 --tls-cert $BENCH_WORK/tls.pem --tls-key $BENCH_WORK/tls.key"
    fi
    # shellcheck disable=SC2086
    bench_command "$bin/zchat-router" --ingress 'tcp://127.0.0.1:*' --publish 'tcp://127.0.0.1:*' \
        --control 'tcp://127.0.0.1:*' --store "$store" $metrics > "$log" 2>&1
    ZCHAT_ROUTER=$!
    BENCH_STARTED="$BENCH_STARTED $ZCHAT_ROUTER"
    ZCHAT_PIDS=$ZCHAT_ROUTER
    ZCHAT_SERVERS=""
    bench_wait_line "$log" "router: ready ingress=" "$ZCHAT_ROUTER" || return 1
    ready=$(grep -E -m 1 "router: ready ingress=" "$log")
    ingress=$(echo "$ready" | sed 's/.*ingress=\([^ ]*\).*/\1/')
    publish=$(echo "$ready" | sed 's/.*publish=\([^ ]*\).*/\1/')
    ZCHAT_CONTROL=$(echo "$ready" | sed 's/.*control=\([^ ]*\).*/\1/')
    ZCHAT_METRICS=""
    bench_note_metrics "$ready" || return 1
    number=1
    # Flood control off: a load generator's clients send far faster than
    # a person, and the bench measures the server, not --rate-lines
    echo "bench: gateways run with flood control off (--rate-lines 0)" >&2
    while [ "$number" -le "$gateways" ]; do
        log="$BENCH_WORK/gateway$number.log"
        # shellcheck disable=SC2086
        bench_command "$bin/zchat-gateway" --listen 127.0.0.1:0 --ingress "$ingress" \
            --publish "$publish" --name "bench$number" --idle-timeout 3600 --rate-lines 0 \
            $metrics $tls > "$log" 2>&1
        pid=$!
        BENCH_STARTED="$BENCH_STARTED $pid"
        ZCHAT_PIDS="$ZCHAT_PIDS,$pid"
        bench_wait_line "$log" "gateway: listening address=" "$pid" || return 1
        ready=$(grep -E -m 1 "gateway: listening address=" "$log")
        port=$(echo "$ready" | sed 's/.* port=\([0-9]*\).*/\1/')
        [ -n "$tls" ] && port=$(echo "$ready" | sed 's/.* tls=\([0-9]*\).*/\1/')
        bench_note_metrics "$ready" || return 1
        ZCHAT_SERVERS="${ZCHAT_SERVERS:+$ZCHAT_SERVERS,}127.0.0.1:$port"
        number=$((number + 1))
    done
}

# bench_note_metrics READY_LINE: add the metrics address of a zchat
# process's ready line ("metrics=PORT", 0 when off) to ZCHAT_METRICS; fail
# if metrics were asked for and are not served.
bench_note_metrics () {
    metrics_port=$(echo "$1" | sed -n 's/.* metrics=\([0-9]*\).*/\1/p')
    if [ "$BENCH_METRICS" = on ]; then
        if [ -z "$metrics_port" ] || [ "$metrics_port" -eq 0 ]; then
            echo "bench: metrics asked for but not served: $1" >&2
            return 1
        fi
        ZCHAT_METRICS="$ZCHAT_METRICS 127.0.0.1:$metrics_port"
    fi
}

# bench_start_scraper INTERVAL: scrape every zchat process's /metrics every
# INTERVAL seconds, as Prometheus does in the compose deployment, so that
# "metrics on" includes serving them. Sets BENCH_SCRAPER (its pid).
bench_start_scraper () {
    # shellcheck disable=SC2086
    ( while :; do
          for address in $ZCHAT_METRICS; do
              curl -s -o /dev/null --max-time 2 "http://$address/metrics" || true
          done
          sleep "$1"
      done ) &
    BENCH_SCRAPER=$!
    BENCH_STARTED="$BENCH_STARTED $BENCH_SCRAPER"
}

# bench_stop_scraper: SIGTERM ends it (status 143, which is how it stops)
bench_stop_scraper () {
    [ -n "${BENCH_SCRAPER:-}" ] || return 0
    BENCH_STOP_STATUS=143
    stop_rc=0
    bench_stop "$BENCH_SCRAPER" || stop_rc=$?
    BENCH_STOP_STATUS=0
    BENCH_SCRAPER=""
    return $stop_rc
}

# bench_stop_zchat: SIGTERM to the router drains the gateways, which exit
# on their own; then make sure every one of them is gone.
bench_stop_zchat () {
    # shellcheck disable=SC2046
    bench_stop $(echo "$ZCHAT_PIDS" | tr ',' ' ')
}

# bench_free_port [ABOVE]: a loopback TCP port nobody listens on right
# now (above ABOVE when given, for a second port before the first is bound).
bench_free_port () {
    port=$((20000 + $$ % 20000))
    [ -n "${1:-}" ] && port=$(($1 + 1))
    while ss -Htln "sport = :$port" 2>/dev/null | grep -q .; do
        port=$((port + 1))
    done
    echo "$port"
}

# bench_render CONF_IN CONF PORT TLS_PORT: a server's config from its
# template: @PORT@, @TLS_PORT@ and @WORK@ filled in, and the @TLS@ lines
# turned on with BENCH_TLS=on (and the certificate made), into comments
# otherwise.
bench_render () {
    tls_lines="#"
    if [ "$BENCH_TLS" = on ]; then
        bench_tls_cert || return 1
        tls_lines=""
    fi
    sed -e "s|@PORT@|$3|" -e "s|@TLS_PORT@|$4|" -e "s|@WORK@|$BENCH_WORK|g" \
        -e "s|^@TLS@|$tls_lines|" "$1" > "$2"
}

# bench_start_ngircd CONF_IN: ngIRCd in the foreground with its own config.
# Sets NGIRCD_SERVERS and NGIRCD_PID (and PEER_SERVERS, PEER_PID).
# BENCH_TLS=on: it also serves TLS, and NGIRCD_SERVERS is the TLS port.
bench_start_ngircd () {
    port=$(bench_free_port)
    tls_port=$(bench_free_port "$port")
    conf="$BENCH_WORK/ngircd.conf"
    log="$BENCH_WORK/ngircd.log"
    bench_render "$1" "$conf" "$port" "$tls_port" || return 1
    # exec: the pid of the subshell becomes ngIRCd's; -n keeps it in front
    echo "ngircd -n -f $conf (from $1)" >> "$BENCH_COMMANDS"
    ( ulimit -n "$(ulimit -Hn)"; exec ngircd -n -f "$conf" ) > "$log" 2>&1 &
    NGIRCD_PID=$!
    BENCH_STARTED="$BENCH_STARTED $NGIRCD_PID"
    NGIRCD_SERVERS="127.0.0.1:$port"
    [ "$BENCH_TLS" = on ] && NGIRCD_SERVERS="127.0.0.1:$tls_port"
    PEER_SERVERS=$NGIRCD_SERVERS
    PEER_PID=$NGIRCD_PID
    bench_wait_line "$log" "Now listening on \\[${NGIRCD_SERVERS%:*}\\]:${NGIRCD_SERVERS##*:} " "$NGIRCD_PID"
}

bench_stop_ngircd () {
    bench_stop "$NGIRCD_PID"
}

# bench_start_inspircd CONF_IN: InspIRCd in the foreground with its own
# config (--runasroot: the bench may run as root, which InspIRCd refuses
# without it). Sets INSPIRCD_SERVERS and INSPIRCD_PID (and PEER_SERVERS,
# PEER_PID). BENCH_TLS=on: it also serves TLS (ssl_gnutls), and
# INSPIRCD_SERVERS is the TLS port instead of the plain one.
bench_start_inspircd () {
    port=$(bench_free_port)
    tls_port=$(bench_free_port "$port")
    conf="$BENCH_WORK/inspircd.conf"
    log="$BENCH_WORK/inspircd.log"
    bench_render "$1" "$conf" "$port" "$tls_port" || return 1
    echo "inspircd --nofork --runasroot --config $conf (from $1)" >> "$BENCH_COMMANDS"
    # no core file: with ssl_gnutls loaded, InspIRCd 3.15 (Debian) dies of
    # SIGSEGV after unloading its modules on SIGTERM, in the caller's directory
    ( ulimit -n "$(ulimit -Hn)"; ulimit -c 0
      exec inspircd --nofork --runasroot --config "$conf" ) > "$log" 2>&1 &
    INSPIRCD_PID=$!
    BENCH_STARTED="$BENCH_STARTED $INSPIRCD_PID"
    INSPIRCD_SERVERS="127.0.0.1:$port"
    [ "$BENCH_TLS" = on ] && INSPIRCD_SERVERS="127.0.0.1:$tls_port"
    PEER_SERVERS=$INSPIRCD_SERVERS
    PEER_PID=$INSPIRCD_PID
    bench_wait_line "$log" "InspIRCd is now running" "$INSPIRCD_PID" || return 1
    # a listener that cannot bind is only a warning to InspIRCd
    if grep -q -F "$INSPIRCD_SERVERS: " "$log"; then
        echo "bench: InspIRCd did not bind $INSPIRCD_SERVERS: $(grep -F "$INSPIRCD_SERVERS: " "$log")" >&2
        return 1
    fi
}

# InspIRCd exits with status 10 (its EXIT_STATUS_SIGTERM) when told to stop
bench_stop_inspircd () {
    BENCH_STOP_STATUS=10
    stop_rc=0
    bench_stop "$INSPIRCD_PID" || stop_rc=$?
    BENCH_STOP_STATUS=0
    return $stop_rc
}
