#!/bin/sh
# zchat-entrypoint - put each server socket on its own compose network, then exec.
#
# Usage: zchat-entrypoint COMMAND [ARGS...] (the image's entrypoint, under
# tini). In ZCHAT_LISTEN, ZCHAT_HEALTH_LISTEN, ZCHAT_HTTP_LISTEN, ZCHAT_METRICS_LISTEN,
# ZCHAT_INGRESS, ZCHAT_PUBLISH and ZCHAT_CONTROL, "{ALIAS}" stands for this
# container's address on the network where it carries the alias ALIAS
# (zchat-address): "{gateway-edge}:8080" becomes "172.20.0.5:8080". Values
# without braces pass unchanged, so plain `docker run` works as before.
set -eu
for name in ZCHAT_LISTEN ZCHAT_HEALTH_LISTEN ZCHAT_HTTP_LISTEN ZCHAT_METRICS_LISTEN ZCHAT_INGRESS \
            ZCHAT_PUBLISH ZCHAT_CONTROL; do
    eval "value=\${$name:-}"
    case "$value" in
    *"{"*"}"*)
        alias=${value#*\{}
        alias=${alias%%\}*}
        address=$(zchat-address "$alias")
        export "$name=${value%%\{*}$address${value#*\}}"
        ;;
    esac
done
exec "$@"
