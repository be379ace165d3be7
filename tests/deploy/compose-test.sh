#!/bin/bash
# compose-test.sh - docker-compose.yml for real: build, scale, chat, kill, drain.
#
# Run by `make test-deploy` (root; no Docker needs to be running). Starts a
# private dockerd (tests/deploy/dockerd.sh), makes the base image offline
# (debootstrap + docker import, cached in DEPLOY_CACHE), builds the zchat
# and balancer images with host networking (the only way a build step
# reaches Debian's archive here), then brings the compose stack up with
# three gateways on a free loopback port (CURVE between the tiers, keys
# made by the one-shot "keys" service), checks that the balancer and
# Prometheus cannot reach the router's ports nor the balancer a gateway's
# metrics, and drives tests/deploy/chat.py
# through the balancer: spread over gateways, chat across them, /rooms,
# kill a gateway, newcomers chat, crash and restart the router (the
# gateways stay and re-register everyone; the SQLite history on its named
# volume survives: a newcomer is shown lines said before), `stop` drains. Before that,
# a browser's way in: the balancer's HTTP port serves the chat page and a
# WebSocket (zchat.v1.json) through it chats with a telnet client
# (tests/deploy/ws_chat.py). Before that,
# Prometheus (the compose service) must report up == 1 for the router and
# every gateway, and the delivered-lines counter must rise after a chat. Last it checks exit codes
# and logs and runs `down`. Everything it started is removed on exit, on
# failure too. Logs and the chat transcript are kept in DEPLOY_OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

DEPLOY_CACHE=$(realpath -m "${DEPLOY_CACHE:-build/deploy-cache}")
DEPLOY_OUT=$(realpath -m "${DEPLOY_OUT:-build/deploy-out}")
GATEWAYS=3
READY_TIMEOUT_S=60
STOP_TIMEOUT_S=20

. tests/deploy/dockerd.sh

work=$(mktemp -d /tmp/zchat-deploy.XXXXXX)
project="zchatdeploy$$"
compose_up=0
saved_forward=""         # net.ipv4.ip_forward to restore, if the test turned it off
mkdir -p "$DEPLOY_OUT"

# Compose v2 if this docker has it, else Debian's docker-compose v1.
if "$DOCKER" compose version >/dev/null 2>&1; then
    compose=("$DOCKER" compose)
else
    compose=(docker-compose)
fi
s_compose () {
    "${compose[@]}" -f "$repo/docker-compose.yml" -p "$project" "$@"
}

s_cleanup () {
    status=$?
    trap - EXIT INT TERM
    set +e
    if [ "$compose_up" -eq 1 ]; then
        s_compose logs --no-color >"$DEPLOY_OUT/compose.log" 2>&1 || true
        s_compose down -v -t 5 >/dev/null 2>&1 || true
    fi
    [ -n "$DOCKERD_DIR" ] && cp "$DOCKERD_DIR/dockerd.log" "$DEPLOY_OUT/" 2>/dev/null
    dockerd_stop
    [ -n "$saved_forward" ] && sysctl -qw net.ipv4.ip_forward="$saved_forward"
    rm -rf "$work"
    if [ "$status" -ne 0 ]; then
        echo "compose-test: FAIL (logs in $DEPLOY_OUT)" >&2
        tail -n 40 "$DEPLOY_OUT/compose.log" >&2 2>/dev/null || true
    fi
    exit "$status"
}
trap s_cleanup EXIT
trap 'exit 130' INT TERM

s_elapsed () {
    echo "compose-test: [$SECONDS s] $*"
}

# Wait until "$@" succeeds, up to READY_TIMEOUT_S seconds.
s_wait_for () {
    what=$1
    shift
    waited=0
    until "$@" >/dev/null 2>&1; do
        if [ "$waited" -ge "$READY_TIMEOUT_S" ]; then
            echo "compose-test: timed out waiting for $what" >&2
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    s_elapsed "$what"
}

# The id of replica N (default 1) of a service. sed reads to the end: a
# head that closed the pipe early would SIGPIPE compose (pipefail).
s_container () {
    s_compose ps -q "$1" | sed -n "${2:-1}p"
}

# HAProxy 2.6.12 (Debian 12) sometimes segfaults in its exit path after a
# soft stop has completed: every proxy stopped, every client already
# closed cleanly (chat.py checked that). Accept exit 139 only in exactly
# that position, and say so; anything else is a failure.
s_balancer_crashed_after_stop () {
    grep '^balancer_1 *|' "$DEPLOY_OUT/compose.log" | awk '
        /Proxy chat stopped/ { stopped = 1 }
        /exited with code 139/ { crashed = stopped }
        END { exit crashed ? 0 : 1 }'
}

s_status () {
    "$DOCKER" exec "$(s_container router)" zchat-ctl --control tcp://127.0.0.1:5557 status
}

s_gateways_registered () {
    s_status | grep -qx "gateways=$GATEWAYS"
}

# HAProxy logs one line per gateway slot it filled from DNS and found up.
s_balancer_sees_gateways () {
    up=$("$DOCKER" logs "$(s_container balancer)" 2>&1 \
         | grep -c 'gateways/gw[0-9]* .*is UP' || true)
    [ "$up" -ge "$GATEWAYS" ]
}

# The same for the HTTP backend (the chat page and WebSocket, 8082)
s_balancer_sees_web () {
    up=$("$DOCKER" logs "$(s_container balancer)" 2>&1 \
         | grep -c 'gateways_web/web[0-9]* .*is UP' || true)
    [ "$up" -ge "$GATEWAYS" ]
}

# Every gateway container is healthy: its health check reads the gateway's
# health port (ZCHAT_HEALTH_LISTEN, "ok clients=N"), in the real image.
s_gateways_healthy () {
    healthy=0
    for id in $(s_compose ps -q gateway); do
        status=$("$DOCKER" inspect -f '{{.State.Health.Status}}' "$id")
        [ "$status" = healthy ] && healthy=$((healthy + 1))
    done
    [ "$healthy" -eq "$GATEWAYS" ]
}

s_free_port () {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Without iptables (dockerd.sh) the networks are kept apart only by the
# host not forwarding between bridges; another Docker on this machine may
# have turned forwarding on, and then the isolation checks below would
# test the host, not the compose file. Off for the test, restored after.
if [ "$(cat /proc/sys/net/ipv4/ip_forward)" != 0 ]; then
    saved_forward=$(cat /proc/sys/net/ipv4/ip_forward)
    echo "compose-test: net.ipv4.ip_forward was $saved_forward: 0 while the test runs"
    sysctl -qw net.ipv4.ip_forward=0
fi

# --- images ---------------------------------------------------------------
dockerd_start "$work/docker"
sh tests/deploy/base-image.sh "$DEPLOY_CACHE" zchat-base:bookworm
for target in runtime balancer prometheus; do
    tag=zchat:latest
    [ "$target" = balancer ] && tag=zchat-balancer:latest
    [ "$target" = prometheus ] && tag=zchat-prometheus:latest
    DOCKER_BUILDKIT=1 "$DOCKER" build --network host --target "$target" \
        --build-arg BASE_IMAGE=zchat-base:bookworm -t "$tag" . \
        >"$DEPLOY_OUT/build-$target.log" 2>&1 \
        || { tail -n 30 "$DEPLOY_OUT/build-$target.log" >&2; exit 1; }
done
s_elapsed "images built: $("$DOCKER" images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | tr '\n' ' ')"

# --- up -------------------------------------------------------------------
ZCHAT_PORT=$(s_free_port)
ZCHAT_HTTP_PORT=$(s_free_port)
ZCHAT_PROMETHEUS_PORT=$(s_free_port)
export ZCHAT_PORT ZCHAT_HTTP_PORT ZCHAT_PROMETHEUS_PORT ZCHAT_BIND=127.0.0.1
compose_up=1
s_compose up -d --no-build --scale gateway="$GATEWAYS" 2>&1 | sed 's/^/  /'
s_wait_for "router answers status" s_status
s_wait_for "$GATEWAYS gateways registered" s_gateways_registered
s_wait_for "balancer sees $GATEWAYS gateways" s_balancer_sees_gateways
s_wait_for "balancer sees $GATEWAYS gateways' HTTP ports" s_balancer_sees_web
s_wait_for "$GATEWAYS gateways healthy" s_gateways_healthy
s_status | sed 's/^/  /'

# --- isolation: CURVE on, and each network reaches only what it serves -----
# Connect with bash's /dev/tcp from inside a container; exit 0 = connected.
s_connects () {
    "$DOCKER" exec "$1" timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$2" "$3" \
        >/dev/null 2>&1
}
s_addresses () {
    "$DOCKER" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1"
}
router_id=$(s_container router)
balancer_id=$(s_container balancer)
prometheus_id=$(s_container prometheus)
gateway_id=$(s_container gateway)
s_compose logs --no-color router gateway >"$work/curve.log" 2>&1
grep -q 'router: ready .* curve=on' "$work/curve.log" \
    || { echo "compose-test: the router does not run CURVE" >&2; exit 1; }
[ "$(grep -c 'relay: connected .* curve=on' "$work/curve.log")" -eq "$GATEWAYS" ] \
    || { echo "compose-test: not every gateway runs CURVE" >&2; exit 1; }
! grep -q 'curve off' "$work/curve.log" \
    || { echo "compose-test: a tier warns that CURVE is off" >&2; exit 1; }
# The probes can see a connection: a gateway reaches the router, the
# balancer a gateway's health port
s_connects "$gateway_id" router-tiers 5555 \
    || { echo "compose-test: a gateway cannot reach the router's ingress" >&2; exit 1; }
s_connects "$balancer_id" gateway 8081 \
    || { echo "compose-test: the balancer cannot reach a gateway's health port" >&2; exit 1; }
for address in $(s_addresses "$router_id"); do
    for port in 5555 5556 5557; do
        for from in balancer prometheus; do
            eval "id=\$${from}_id"
            if s_connects "$id" "$address" "$port"; then
                echo "compose-test: the $from reaches the router at $address:$port" >&2
                exit 1
            fi
        done
    done
done
for address in $(s_addresses "$gateway_id"); do
    if s_connects "$balancer_id" "$address" 9100; then
        echo "compose-test: the balancer reaches a gateway's metrics at $address:9100" >&2
        exit 1
    fi
done
s_elapsed "isolation: balancer and prometheus cannot reach router ports 5555-5557" \
          "($(s_addresses "$router_id")), the balancer no gateway metrics; CURVE on"

# --- metrics: Prometheus scrapes every tier for real ------------------------
# It finds the router and each gateway replica by DNS (dns_sd_configs);
# every target must be up, and the gateways' delivered-lines counter must
# rise once clients have chatted through the balancer.
s_query () {
    python3 tests/deploy/prometheus_query.py "$ZCHAT_PROMETHEUS_PORT" "$@"
}
s_wait_for "prometheus: router up" s_query 'sum(up{job="zchat-router"} == 1)' --at-least 1
s_wait_for "prometheus: $GATEWAYS gateways up" \
    s_query 'count(up{job="zchat-gateway"} == 1)' --at-least "$GATEWAYS"
delivered='sum(zchat_gateway_lines_delivered_total)'
s_wait_for "prometheus: gateways scraped" s_query "$delivered" --at-least 0
before=$(s_query "$delivered")
python3 tests/deploy/chat.py 127.0.0.1 "$ZCHAT_PORT" --tag prom --room prom --clients 3 --late-clients 0 \
    >"$DEPLOY_OUT/prometheus-chat.txt"
s_wait_for "prometheus: delivered lines rose above $before" \
    s_query "$delivered" --at-least "$((before + 1))"
{
    echo "  up{job=\"zchat-router\"} == 1: $(s_query 'count(up{job="zchat-router"} == 1)')"
    echo "  up{job=\"zchat-gateway\"} == 1: $(s_query 'count(up{job="zchat-gateway"} == 1)')" \
         "of $GATEWAYS"
    echo "  $delivered: $before before the chat, $(s_query "$delivered") after"
} | tee "$DEPLOY_OUT/prometheus-result.txt"

# --- the page and a WebSocket through the balancer ----------------------------
# Debian's python3: its python3-websockets (a python3 earlier on PATH may
# be another one)
/usr/bin/python3 tests/deploy/ws_chat.py 127.0.0.1 "$ZCHAT_HTTP_PORT" "$ZCHAT_PORT" \
    | tee "$DEPLOY_OUT/ws-transcript.txt"
s_elapsed "websocket chat through the balancer passed"

# --- chat -----------------------------------------------------------------
victim=$(s_container gateway 2)
python3 tests/deploy/chat.py 127.0.0.1 "$ZCHAT_PORT" --tag dock \
    --clients 6 --late-clients 3 --min-gateways "$GATEWAYS" \
    --status-cmd "$DOCKER exec $(s_container router) zchat-ctl --control tcp://127.0.0.1:5557 status" \
    --kill-cmd "$DOCKER kill $victim >/dev/null" \
    --restart-cmd "$DOCKER kill $(s_container router) >/dev/null && $DOCKER start $(s_container router) >/dev/null" \
    --history-survives \
    --drain-cmd "${compose[*]} -f $repo/docker-compose.yml -p $project stop -t $STOP_TIMEOUT_S" \
    --drain-notice '^\* .*shutting down' \
    | tee "$DEPLOY_OUT/compose-transcript.txt"
s_elapsed "chat scenario passed"

# --- drained: exit codes and logs -----------------------------------------
s_compose logs --no-color >"$DEPLOY_OUT/compose.log" 2>&1
failed=0
for id in $(s_compose ps -q); do
    name=$("$DOCKER" inspect -f '{{.Name}}' "$id")
    code=$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$id")
    if [ "$id" = "$victim" ] || [[ "$victim" == "$id"* ]]; then
        echo "  $name exit=$code (killed on purpose)"
        continue
    fi
    echo "  $name exit=$code"
    if [ "$code" -eq 139 ] && [[ "$name" == *_balancer_* ]] && s_balancer_crashed_after_stop; then
        echo "  WARNING: HAProxy crashed after its soft stop had finished (known" \
             "exit-path crash of Debian's 2.6.12; no client was affected)"
        continue
    fi
    [ "$code" -eq 0 ] || failed=1
done
[ "$failed" -eq 0 ] || { echo "compose-test: a service did not exit 0 on stop" >&2; exit 1; }
# zsys marks errors "E:"; sanitizers and asserts would show up here too.
if grep -E ' E: |AddressSanitizer|runtime error|Assertion' "$DEPLOY_OUT/compose.log"; then
    echo "compose-test: errors in the service logs" >&2
    exit 1
fi
# The drain, as the services logged it: each surviving gateway shut down
# (its clients were told who left and closed), then the router stopped.
shut=$(grep -c 'gateway: shut down' "$DEPLOY_OUT/compose.log" || true)
if [ "$shut" -ne "$((GATEWAYS - 1))" ] || ! grep -q 'router: stopped' "$DEPLOY_OUT/compose.log"; then
    echo "compose-test: drain not logged (gateways shut down: $shut)" >&2
    exit 1
fi
grep -E 'router: (ready|gateway|drain|stopped)|gateway: (listening|shut)' \
    "$DEPLOY_OUT/compose.log" | sed 's/^/  /'

s_compose down -v -t "$STOP_TIMEOUT_S" 2>&1 | sed 's/^/  /'
compose_up=0
left=$("$DOCKER" ps -aq | wc -l)
[ "$left" -eq 0 ] || { echo "compose-test: $left container(s) left after down" >&2; exit 1; }
s_elapsed "PASS"
