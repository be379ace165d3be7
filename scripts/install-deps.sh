#!/bin/sh
# install-deps.sh - install the Debian packages zchat needs to build and test
# (prometheus: its promtool lints the /metrics exposition in make test;
# libssl-dev: the gateway's TLS port; openssl and sslscan: the TLS tests make
# their own CA and scan the port; socat: the documented TLS client).
#
# The Makefile runs this once per machine (stamp build/.deps-ok). It only
# calls apt-get when something is missing, so it is quick on a set-up
# machine. Extra packages may be named as arguments (bench, deploy).
set -eu

PACKAGES="build-essential pkg-config libzmq3-dev libczmq-dev libcmocka-dev libsqlite3-dev \
          libwslay-dev libssl-dev openssl sslscan socat \
          docker-compose iproute2 procps netcat-openbsd prometheus inetutils-telnet python3 \
          python3-websockets nodejs $*"
# The chat page's real-browser test (tests/browser): Debian's chromium,
# driven by playwright-core from npm. Debian's nodejs ships npm apart;
# NodeSource's includes it (and conflicts with Debian's npm package).
PACKAGES="$PACKAGES chromium"
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"

missing=""
for package in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $package"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
