# dockerd.sh - start and stop a private Docker daemon for the deploy tests.
#
# Sourced (sh) by compose-test.sh. dockerd_start DIR runs dockerd with its
# data, exec state, pidfile and unix socket under DIR (overlay2, no
# iptables, no IP forwarding, no default bridge: it touches nothing of the
# host's own Docker, firewall or sysctls) and exports DOCKER_HOST. dockerd_stop stops it by its PID,
# removes whatever containers are left, unmounts what it left under DIR
# (the nsfs mount at exec/netns/default, stray overlays) and deletes DIR.
# Safe to call dockerd_stop twice, or when start failed half way.

DOCKERD_START_TIMEOUT_S=${DOCKERD_START_TIMEOUT_S:-30}
DOCKERD_STOP_TIMEOUT_S=${DOCKERD_STOP_TIMEOUT_S:-20}
DOCKERD_DIR=
DOCKERD_PID=
# Debian's client; a newer docker elsewhere on PATH may not speak to it
DOCKER=${DOCKER:-/usr/bin/docker}

dockerd_start () {
    DOCKERD_DIR=$1
    mkdir -p "$DOCKERD_DIR/data" "$DOCKERD_DIR/exec"
    export DOCKER_HOST="unix://$DOCKERD_DIR/docker.sock"
    # No IP forwarding: without iptables, Docker's isolation between
    # networks is gone, and forwarding would let a container reach every
    # network through the host; off, a container reaches only the
    # networks it is on, as with Docker's iptables rules (compose-test.sh
    # checks that the balancer cannot reach the router)
    dockerd --storage-driver=overlay2 --iptables=false --ip-forward=false --bridge=none \
            --data-root "$DOCKERD_DIR/data" --exec-root "$DOCKERD_DIR/exec" \
            --pidfile "$DOCKERD_DIR/docker.pid" --host "$DOCKER_HOST" \
            >"$DOCKERD_DIR/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    waited=0
    until "$DOCKER" version >/dev/null 2>&1; do
        if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
            echo "dockerd: exited during start; log:" >&2
            tail -n 20 "$DOCKERD_DIR/dockerd.log" >&2
            return 1
        fi
        if [ "$waited" -ge "$DOCKERD_START_TIMEOUT_S" ]; then
            echo "dockerd: not ready after ${waited}s" >&2
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    echo "dockerd: ready pid=$DOCKERD_PID dir=$DOCKERD_DIR"
}

dockerd_stop () {
    [ -n "$DOCKERD_DIR" ] || return 0
    if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
        containers=$("$DOCKER" ps -aq 2>/dev/null || true)
        if [ -n "$containers" ]; then
            # shellcheck disable=SC2086
            "$DOCKER" rm -f $containers >/dev/null 2>&1 || true
        fi
        kill -TERM "$DOCKERD_PID" 2>/dev/null || true
        waited=0
        while kill -0 "$DOCKERD_PID" 2>/dev/null \
              && [ "$waited" -lt "$DOCKERD_STOP_TIMEOUT_S" ]; do
            sleep 1
            waited=$((waited + 1))
        done
        kill -KILL "$DOCKERD_PID" 2>/dev/null || true
        wait "$DOCKERD_PID" 2>/dev/null || true
    fi
    DOCKERD_PID=
    # Deepest first: nsfs at exec/netns/default, overlays under data/.
    { findmnt -rn -o TARGET | grep "^$DOCKERD_DIR/" || true; } | sort -r | while read -r mount; do
        umount "$mount" 2>/dev/null || umount -l "$mount" || true
    done
    rm -rf "$DOCKERD_DIR"
    DOCKERD_DIR=
}
