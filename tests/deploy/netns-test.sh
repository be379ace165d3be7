#!/bin/bash
# netns-test.sh - the deployed topology on real addresses, without containers.
#
# Usage: netns-test.sh BIN_DIR (make test-netns; needs root, ip, haproxy).
# Builds a private LAN out of network namespaces: a "switch" namespace
# holds a bridge, and each tier gets its own namespace with one veth into
# it and its own address on NETNS_SUBNET:
#
#   client .100 --> balancer .20 (HAProxy, deploy/haproxy.cfg, leastconn;
#                     |              checks each gateway's health port 8081)
#                     |--> gw1 .11 --\
#                     |--> gw2 .12 ---> router .2 (ingress 5555, publish 5556)
#                     '--> gw3 .13 --/
#
# Every process of the test runs inside one of those namespaces; the host
# namespace gets no interface and no address there, only a blackhole
# route for the subnet so nothing on the host can ever send to it. Then
# tests/deploy/chat.py plays the deploy scenario through the balancer
# (spread, chat across gateways, /rooms, SIGKILL a gateway, newcomers,
# SIGKILL and restart the router, drain by SIGTERM to the router). On exit, failure included, every
# process is stopped by PID and the namespaces (with the bridge and
# veths in them) and the route are removed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
bin=$(realpath "${1:-bin}")

NETNS_SUBNET=${NETNS_SUBNET:-10.231.0}     # the /24 this test owns
DEPLOY_OUT=$(realpath -m "${DEPLOY_OUT:-build/deploy-out}")
READY_TIMEOUT_S=20
STOP_TIMEOUT_S=15
CLIENT_PORT=8080
HEALTH_PORT=8081                # as in deploy/haproxy.cfg (check port)
ROUTER_ADDRESS=$NETNS_SUBNET.2
BALANCER_ADDRESS=$NETNS_SUBNET.20
CLIENT_ADDRESS=$NETNS_SUBNET.100
OTHER_ADDRESS=$NETNS_SUBNET.101     # a second client host, for the per-address caps
MAX_PER_IP=8                    # per gateway: above what chat.py opens on one
PER_IP_TRIES=40                 # connections the per-address phase opens from one address
GATEWAYS=3

prefix="zc$$"                 # namespace names unique to this run
switch="$prefix-switch"
namespaces=()
pids=()
route_added=0
work=$(mktemp -d /tmp/zchat-netns.XXXXXX)
mkdir -p "$DEPLOY_OUT"

s_cleanup () {
    status=$?
    trap - EXIT INT TERM
    set +e
    # the restarted router is the scenario's child, known by its pidfile
    [ -s "$work/router2.pid" ] && pids+=("$(cat "$work/router2.pid")")
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        waited=0
        while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$STOP_TIMEOUT_S" ]; do
            sleep 1
            waited=$((waited + 1))
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for namespace in "${namespaces[@]}"; do
        ip netns del "$namespace" 2>/dev/null || true
    done
    if [ "$route_added" -eq 1 ]; then
        ip route del blackhole "$NETNS_SUBNET.0/24" 2>/dev/null || true
    fi
    for log in "$work"/*.log; do
        [ -e "$log" ] && cp "$log" "$DEPLOY_OUT/netns-$(basename "$log")"
    done
    rm -rf "$work"
    if [ "$status" -ne 0 ]; then
        echo "netns-test: FAIL (logs in $DEPLOY_OUT/netns-*.log)" >&2
        tail -n 5 "$DEPLOY_OUT"/netns-*.log >&2 2>/dev/null || true
    fi
    exit "$status"
}
trap s_cleanup EXIT
trap 'exit 130' INT TERM

s_elapsed () {
    echo "netns-test: [$SECONDS s] $*"
}

# s_host NAME ADDRESS: a namespace with lo up and eth0 on the switch.
s_host () {
    namespace="$prefix-$1"
    ip netns add "$namespace"
    namespaces+=("$namespace")
    ip -n "$switch" link add "v-$1" type veth peer name eth0 netns "$namespace"
    ip -n "$switch" link set "v-$1" master br0 up
    ip -n "$namespace" link set lo up
    ip -n "$namespace" addr add "$2/24" dev eth0
    ip -n "$namespace" link set eth0 up
}

# s_start NAME LOG COMMAND...: run COMMAND in namespace NAME, remember its PID.
s_start () {
    namespace="$prefix-$1"
    log=$2
    shift 2
    ip netns exec "$namespace" "$@" >"$work/$log.log" 2>&1 &
    pids+=($!)
}

# s_wait_log LOG PATTERN: wait until the log has a line matching PATTERN.
s_wait_log () {
    waited=0
    until grep -q "$2" "$work/$1.log" 2>/dev/null; do
        if [ "$waited" -ge "$((READY_TIMEOUT_S * 10))" ]; then
            echo "netns-test: no '$2' in $1.log" >&2
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

s_status () {
    ip netns exec "$prefix-router" "$bin/zchat-ctl" --control tcp://127.0.0.1:5557 status
}

# --- the LAN ----------------------------------------------------------------
if ip route show "$NETNS_SUBNET.0/24" | grep -q .; then
    echo "netns-test: $NETNS_SUBNET.0/24 is already routed here; set NETNS_SUBNET" >&2
    exit 1
fi
ip route add blackhole "$NETNS_SUBNET.0/24"
route_added=1
ip netns add "$switch"
namespaces+=("$switch")
ip -n "$switch" link add br0 type bridge
ip -n "$switch" link set br0 up
s_host router "$ROUTER_ADDRESS"
for index in $(seq 1 "$GATEWAYS"); do
    s_host "gw$index" "$NETNS_SUBNET.1$index"
done
s_host balancer "$BALANCER_ADDRESS"
s_host client "$CLIENT_ADDRESS"
s_host other "$OTHER_ADDRESS"
s_elapsed "namespaces up: ${namespaces[*]}"

# --- the servers --------------------------------------------------------------
router_command="env ZCHAT_INGRESS=tcp://$ROUTER_ADDRESS:5555 \
    ZCHAT_PUBLISH=tcp://$ROUTER_ADDRESS:5556 ZCHAT_CONTROL=tcp://127.0.0.1:5557 \
    ZCHAT_GATEWAY_TIMEOUT=3 ZCHAT_DRAIN_TIMEOUT=10 $bin/zchat-router"
# shellcheck disable=SC2086
s_start router router $router_command
router_pid=${pids[-1]}
s_wait_log router 'router: ready'
gateway_pids=()
for index in $(seq 1 "$GATEWAYS"); do
    s_start "gw$index" "gw$index" env ZCHAT_LISTEN="$NETNS_SUBNET.1$index:$CLIENT_PORT" \
        ZCHAT_HEALTH_LISTEN="$NETNS_SUBNET.1$index:$HEALTH_PORT" \
        ZCHAT_INGRESS="tcp://$ROUTER_ADDRESS:5555" ZCHAT_PUBLISH="tcp://$ROUTER_ADDRESS:5556" \
        ZCHAT_PROXY_PROTOCOL=1 ZCHAT_TRUSTED_PROXY="$BALANCER_ADDRESS/32" \
        ZCHAT_MAX_PER_IP=$MAX_PER_IP ZCHAT_CONNECT_RATE_PER_IP=0 \
        ZCHAT_NAME="gw$index" "$bin/zchat-gateway"
    gateway_pids+=("${pids[-1]}")
done
for index in $(seq 1 "$GATEWAYS"); do
    s_wait_log "gw$index" 'gateway: listening'
done

# The compose balancer config, with the gateways as fixed servers instead
# of Docker's DNS: same balancing, checks and timeouts. Its HTTP backend
# (the chat page) stays empty here: these gateways serve no page.
servers=""
for index in $(seq 1 "$GATEWAYS"); do
    servers="$servers    server gw$index $NETNS_SUBNET.1$index:$CLIENT_PORT\n"
done
sed -e '/^resolvers docker/,/^$/d' \
    -e 's/ resolvers docker resolve-prefer ipv4 init-addr none//' \
    -e '/^    server-template web /d' \
    -e "s|^    server-template .*|$servers|" \
    -e "s|^    bind :8080|    bind $BALANCER_ADDRESS:$CLIENT_PORT|" \
    -e "s|^global|global\n    stats socket $work/haproxy.sock mode 600 level admin|" \
    deploy/haproxy.cfg >"$work/haproxy.cfg"
s_start balancer balancer haproxy -W -db -f "$work/haproxy.cfg"
balancer_pid=${pids[-1]}

# How many gateways HAProxy has UP with a passed health check (L7OK: the
# health port answered "ok"), from its stats socket (in its namespace).
s_balancer_up () {
    ip netns exec "$prefix-balancer" python3 -c '
import csv, io, socket, sys
sock = socket.socket (socket.AF_UNIX)
sock.connect (sys.argv [1])
sock.sendall (b"show stat\n")
data = b""
while chunk := sock.recv (65536):
    data += chunk
rows = csv.DictReader (io.StringIO (data.decode ().lstrip ("# ")))
print (sum (1 for row in rows if row ["pxname"] == "gateways" and row ["svname"].startswith ("gw")
            and row ["status"] == "UP" and row ["check_status"] == "L7OK"))' "$work/haproxy.sock"
}

# Ready: every gateway registered at the router, every server UP in HAProxy.
waited=0
until s_status 2>/dev/null | grep -qx "gateways=$GATEWAYS" \
      && [ "$(s_balancer_up 2>/dev/null)" = "$GATEWAYS" ]; do
    if [ "$waited" -ge "$((READY_TIMEOUT_S * 10))" ]; then
        echo "netns-test: gateways not all registered and UP" >&2
        exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
done
s_elapsed "router, $GATEWAYS gateways and balancer ready"
s_status | sed 's/^/  /'
# The health port itself: one line, then a clean close. HAProxy has been
# checking every gateway for a while now, and none of that made a session.
answer=$(ip netns exec "$prefix-balancer" python3 -c '
import socket, sys
sock = socket.create_connection ((sys.argv [1], int (sys.argv [2])), timeout = 2)
data = b""
while chunk := sock.recv (4096):
    data += chunk
print (repr (data.decode ()))' "$NETNS_SUBNET.11" "$HEALTH_PORT")
echo "  gw1 health port: $answer"
[ "$answer" = "'ok clients=0\r\n'" ] || { echo "netns-test: bad health answer" >&2; exit 1; }
s_status | grep -qx "sessions=0" || { echo "netns-test: health checks made sessions" >&2; exit 1; }
# The gateways reached the router over the bridge, from their own addresses.
peers=$(ip netns exec "$prefix-router" ss -Htn state established "( sport = :5555 )" \
        | awk '{ split ($4, peer, ":"); print peer [1] }' | sort -u | tr '\n' ' ')
echo "  router ingress peers: $peers"
for index in $(seq 1 "$GATEWAYS"); do
    case " $peers" in
        *" $NETNS_SUBNET.1$index "*) ;;
        *) echo "netns-test: gw$index is not connected from $NETNS_SUBNET.1$index" >&2; exit 1 ;;
    esac
done

# --- per-address caps through the balancer (PROXY v2) ------------------------
# The balancer is one address; the gateways see the clients' own through
# the PROXY header. From .100, PER_IP_TRIES connections: at most
# MAX_PER_IP per gateway get in, the rest are refused with the line and a
# FIN. Meanwhile .101 gets in all the same: the cap is per client address.
ip netns exec "$prefix-client" python3 tests/deploy/per_address.py "$BALANCER_ADDRESS" \
    "$CLIENT_PORT" "$PER_IP_TRIES" >"$work/per-ip-client.txt" &
per_ip_pid=$!
sleep 1
ip netns exec "$prefix-other" python3 tests/deploy/per_address.py "$BALANCER_ADDRESS" \
    "$CLIENT_PORT" "$GATEWAYS" >"$work/per-ip-other.txt"
wait "$per_ip_pid" || { cat "$work/per-ip-client.txt" >&2; exit 1; }
echo "  per-address, from $CLIENT_ADDRESS: $(head -1 "$work/per-ip-client.txt")"
echo "  per-address, from $OTHER_ADDRESS meanwhile: $(head -1 "$work/per-ip-other.txt")"
admitted=$(sed -n 's/^admitted=\([0-9]*\) .*/\1/p' "$work/per-ip-client.txt")
refused=$(sed -n 's/.* refused=\([0-9]*\) .*/\1/p' "$work/per-ip-client.txt")
[ "$admitted" -le $((MAX_PER_IP * GATEWAYS)) ] && [ "$refused" -gt 0 ] \
    && [ $((admitted + refused)) -eq "$PER_IP_TRIES" ] \
    || { echo "netns-test: per-address cap not applied from $CLIENT_ADDRESS" >&2; exit 1; }
grep -q "^admitted=$GATEWAYS refused=0 other=0" "$work/per-ip-other.txt" \
    || { echo "netns-test: $OTHER_ADDRESS was refused with $CLIENT_ADDRESS" >&2; exit 1; }
for index in $(seq 1 "$GATEWAYS"); do
    grep -q "client: connected id=[0-9]* addr=$CLIENT_ADDRESS:" "$work/gw$index.log" \
        && ! grep -q "client: connected id=[0-9]* addr=$BALANCER_ADDRESS:" "$work/gw$index.log" \
        || { echo "netns-test: gw$index does not log the client addresses" >&2; exit 1; }
done
grep -h "admission: refused addr=$CLIENT_ADDRESS reason=too-many" "$work"/gw*.log | head -3 | sed 's/^/  /'
# chat.py counts sessions: wait until the router has none left from here
waited=0
until ip netns exec "$prefix-router" "$bin/zchat-ctl" --control tcp://127.0.0.1:5557 status \
        | grep -q '^sessions=0$' || [ "$waited" -ge "$READY_TIMEOUT_S" ]; do
    sleep 1
    waited=$((waited + 1))
done

# --- the scenario -------------------------------------------------------------
ip netns exec "$prefix-client" python3 tests/deploy/chat.py "$BALANCER_ADDRESS" "$CLIENT_PORT" \
    --tag ns --clients 6 --late-clients 3 --min-gateways "$GATEWAYS" \
    --status-cmd "ip netns exec $prefix-router $bin/zchat-ctl --control tcp://127.0.0.1:5557 status" \
    --kill-cmd "kill -KILL ${gateway_pids[1]}" \
    --restart-cmd "kill -KILL $router_pid && sleep 0.5 && { ip netns exec $prefix-router $router_command >$work/router2.log 2>&1 & echo \$! >$work/router2.pid; }" \
    --drain-cmd "kill -TERM \$(cat $work/router2.pid)" --drain-notice '^\* Server shutting down' \
    | tee "$DEPLOY_OUT/netns-transcript.txt"

# --- drained: the router and the surviving gateways exit 0 --------------------
router2_pid=$(cat "$work/router2.pid")
waited=0
while kill -0 "$router2_pid" 2>/dev/null && [ "$waited" -lt "$STOP_TIMEOUT_S" ]; do
    sleep 1
    waited=$((waited + 1))
done
# not this shell's child: its log tells how it ended
if kill -0 "$router2_pid" 2>/dev/null || ! grep -q 'router: stopped' "$work/router2.log"; then
    echo "netns-test: the restarted router did not drain and stop" >&2
    exit 1
fi
echo "  restarted router pid $router2_pid stopped"
wait "$router_pid" 2>/dev/null || true      # the one killed on purpose
for pid in "${gateway_pids[0]}" "${gateway_pids[2]}"; do
    status=0
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$STOP_TIMEOUT_S" ]; do
        sleep 1
        waited=$((waited + 1))
    done
    wait "$pid" || status=$?
    echo "  pid $pid exit=$status"
    [ "$status" -eq 0 ] || { echo "netns-test: pid $pid did not drain cleanly" >&2; exit 1; }
done
kill -TERM "$balancer_pid"
s_elapsed "PASS"
