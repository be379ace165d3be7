# Dockerfile - zchat images: the router/gateway/ctl image and the balancer.
#
# Multi-stage. "build" compiles the three binaries with the project's
# Makefile; "runtime" (the default target, image zchat) ships them with
# only the runtime libraries, tini as PID 1 and a non-root user; "balancer"
# is HAProxy from Debian with deploy/haproxy.cfg baked in. Nothing is
# configured at build time: the servers read ZCHAT_* environment variables
# (see deploy/README-deploy.md and docker-compose.yml).
#
#   docker build -t zchat .
#   docker build --target balancer -t zchat-balancer .
#   docker build --build-arg BASE_IMAGE=zchat-base:bookworm ...   (offline:
#       a base made locally, e.g. debootstrap + docker import; see
#       tests/deploy/base-image.sh)

ARG BASE_IMAGE=debian:bookworm-slim

# --- runtime base: the shared libraries and an init, nothing else ---------
FROM ${BASE_IMAGE} AS runtime-base
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        tini \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

# --- balancer: HAProxy in TCP mode in front of the gateways ---------------
FROM runtime-base AS balancer
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        haproxy \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY deploy/haproxy.cfg /etc/haproxy/haproxy.cfg
COPY deploy/healthcheck.sh /usr/local/bin/zchat-healthcheck
USER haproxy
EXPOSE 8080
# SIGUSR1 is HAProxy's soft stop: stop accepting, let open chats finish
# (the gateways close them as they drain); hard-stop-after bounds the wait.
STOPSIGNAL SIGUSR1
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]

# --- build: compile with the same Makefile and flags as CI -----------------
FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential pkg-config libzmq3-dev libczmq-dev libsqlite3-dev \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
WORKDIR /src
COPY Makefile ./
COPY include include
COPY common common
COPY gateway gateway
COPY router router
COPY ctl ctl
# The stamp tells the Makefile the build dependencies are installed (the
# test-only ones, cmocka and docker-compose, are not needed here).
RUN mkdir -p build && touch build/.deps-ok \
 && make -j"$(nproc)" all \
 && strip --strip-unneeded bin/*

# --- runtime: router, gateway and ctl (default target) --------------------
FROM runtime-base AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libczmq4 libzmq5 libsqlite3-0 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && useradd --system --uid 10001 --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin zchat \
 && install -d -o zchat -g zchat /var/lib/zchat
COPY --from=build /src/bin/zchat-router /src/bin/zchat-gateway /src/bin/zchat-ctl \
     /usr/local/bin/
COPY deploy/healthcheck.sh /usr/local/bin/zchat-healthcheck
USER zchat
# /var/lib/zchat: the router's history store (docker-compose.yml mounts a
# named volume there, which starts with this directory's owner)
EXPOSE 5555 5556 5557 8080
# tini is PID 1: it forwards SIGTERM to the server (which drains) and
# reaps health-check children.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["zchat-gateway"]
