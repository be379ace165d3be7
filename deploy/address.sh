#!/bin/sh
# zchat-address - this container's own IPv4 address on one compose network.
#
# Usage: zchat-address ALIAS. ALIAS is a network alias that this service
# (every replica of it) carries on that network only (docker-compose.yml:
# router-tiers, gateway-edge, ...). Docker's DNS gives ALIAS's addresses:
# one per replica, all on that network; the one that is also ours is the
# answer. So a server can bind one network and stay unreachable from the
# others (the balancer, say, never reaches the router's ports). Waits a
# few seconds for the DNS entry of a container that has just started.
set -eu
alias=${1:?usage: zchat-address ALIAS}
tries=${ZCHAT_ADDRESS_TRIES:-20}
while :; do
    for address in $(hostname -I); do
        if getent ahostsv4 "$alias" | awk '{ print $1 }' | grep -qxF "$address"; then
            echo "$address"
            exit 0
        fi
    done
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then
        echo "zchat-address: none of this container's addresses ($(hostname -I)) is" \
             "$alias's" >&2
        exit 1
    fi
    sleep 0.5
done
