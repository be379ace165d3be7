#!/bin/sh
# zchat-keys - make the compose deployment's CURVE keys, once.
#
# Usage: zchat-keys [ROUTER_DIR [GATEWAY_DIR]] (the one-shot "keys" service
# of docker-compose.yml; defaults /etc/zchat/keys/router and
# /etc/zchat/keys/gateway, two named volumes). With zchat-ctl keygen it
# makes three key pairs, router, gateway and operator, and hands out only
# what each side needs:
#   ROUTER_DIR   router_secret router        the router's pair
#                gateways/gateway            --curve-allow: the gateways' key
#                operators/operator          --control-allow: the operator's key
#                operator_secret operator    for zchat-ctl inside the router
#                                            container (health check, exec)
#   GATEWAY_DIR  gateway_secret gateway      the gateways' pair (all replicas)
#                router                      --curve-server: the router's public key
# Keys that exist are kept (so `up` is idempotent): to rotate, remove the
# volumes (docs/OPERATIONS.md). Secrets are mode 0600, owned by the user
# that runs this (zchat in the image); nothing goes into the image.
set -eu
router_dir=$(realpath -m "${1:-/etc/zchat/keys/router}")
gateway_dir=$(realpath -m "${2:-/etc/zchat/keys/gateway}")
if [ -s "$router_dir/router_secret" ] && [ -s "$gateway_dir/gateway_secret" ]; then
    echo "zchat-keys: keys exist in $router_dir and $gateway_dir, kept"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
for name in router gateway operator; do
    zchat-ctl keygen "$name" >/dev/null
done
mkdir -p "$router_dir/gateways" "$router_dir/operators"
cp -p gateway "$router_dir/gateways/gateway"
cp -p operator "$router_dir/operators/operator"
cp -p operator operator_secret router "$router_dir/"
cp -p gateway gateway_secret router "$gateway_dir/"
# Last: the router's secret marks the set complete
cp -p router_secret "$router_dir/"
echo "zchat-keys: made router, gateway and operator keys in $router_dir and $gateway_dir"
