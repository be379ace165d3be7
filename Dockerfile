# Dockerfile - zchat images: the router/gateway/ctl image and the balancer.
#
# Multi-stage. "build" compiles the three binaries with the project's
# Makefile; "runtime" (the default target, image zchat) ships them with
# only the runtime libraries, tini as PID 1 and a non-root user; "balancer"
# is HAProxy from Debian with deploy/haproxy.cfg baked in; "prometheus" is
# Debian's Prometheus with deploy/prometheus/ baked in. Nothing is
# configured at build time: the servers read ZCHAT_* environment variables
# (see deploy/README-deploy.md and docker-compose.yml).
#
#   docker build -t zchat .
#   docker build --target balancer -t zchat-balancer .
#   docker build --target prometheus -t zchat-prometheus .
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

# --- prometheus: Debian's Prometheus, scraping both tiers ------------------
# Its config (deploy/prometheus/prometheus.yml) finds the router and every
# gateway replica through Docker's DNS; alerts.yml holds the alerting rules.
FROM runtime-base AS prometheus
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        prometheus \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY deploy/prometheus/prometheus.yml deploy/prometheus/alerts.yml /etc/prometheus/
USER prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["prometheus", "--config.file=/etc/prometheus/prometheus.yml", \
     "--storage.tsdb.path=/var/lib/prometheus/metrics2", "--web.listen-address=:9090"]

# --- build: compile with the same Makefile and flags as CI -----------------
FROM ${BASE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential pkg-config libzmq3-dev libczmq-dev libsqlite3-dev \
        libwslay-dev libssl-dev \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
WORKDIR /src
COPY Makefile ./
COPY include include
COPY common common
COPY gateway gateway
COPY router router
COPY ctl ctl
# the chat page, compiled into the gateway by its generator
COPY web web
COPY scripts/web-assets.sh scripts/
# NO_DEPS: the build dependencies are the apt line above (the test-only
# ones, cmocka, docker-compose, prometheus, are not needed here).
RUN make NO_DEPS=1 -j"$(nproc)" all \
 && strip --strip-unneeded bin/*

# --- runtime: router, gateway and ctl (default target) --------------------
FROM runtime-base AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libczmq4 libzmq5 libsqlite3-0 libwslay1 libssl3 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && useradd --system --uid 10001 --user-group --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin zchat \
 && install -d -o zchat -g zchat /var/lib/zchat \
 && install -d -o zchat -g zchat -m 0700 /etc/zchat/keys/router /etc/zchat/keys/gateway
COPY --from=build /src/bin/zchat-router /src/bin/zchat-gateway /src/bin/zchat-ctl \
     /usr/local/bin/
COPY deploy/healthcheck.sh /usr/local/bin/zchat-healthcheck
COPY deploy/address.sh /usr/local/bin/zchat-address
COPY deploy/entrypoint.sh /usr/local/bin/zchat-entrypoint
COPY deploy/keys.sh /usr/local/bin/zchat-keys
USER zchat
# /var/lib/zchat: the router's history store (docker-compose.yml mounts a
# named volume there, which starts with this directory's owner).
# /etc/zchat/keys/{router,gateway}: mount points of the CURVE key volumes
# that the compose "keys" service fills (zchat-keys); the image holds no key.
EXPOSE 5555 5556 5557 8080
# tini is PID 1: it forwards SIGTERM to the server (which drains) and
# reaps health-check children. zchat-entrypoint binds each socket to its
# compose network ("{ALIAS}" in a ZCHAT_* address), then execs the server.
ENTRYPOINT ["/usr/bin/tini", "--", "zchat-entrypoint"]
CMD ["zchat-gateway"]
