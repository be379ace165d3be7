#!/bin/sh
# base-image.sh - make the offline base image zchat-base:bookworm.
#
# Usage: base-image.sh CACHE_DIR [TAG]. Runs debootstrap --variant=minbase
# bookworm once into CACHE_DIR/bookworm-minbase.tar (kept between runs;
# delete it to refresh) and imports it into the Docker daemon at
# DOCKER_HOST. The Dockerfile's BASE_IMAGE build argument takes the tag,
# so no registry is needed.
set -eu
cache=$1
tag=${2:-zchat-base:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DOCKER=${DOCKER:-/usr/bin/docker}
tarball=$cache/bookworm-minbase.tar

if [ ! -s "$tarball" ]; then
    mkdir -p "$cache"
    root=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    echo "base-image: debootstrap --variant=minbase bookworm (once; cached)"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 \
        || { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
    cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
SOURCES
    # what debian:bookworm-slim does to keep images small
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
           "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
fi
"$DOCKER" import --change 'CMD ["/bin/bash"]' "$tarball" "$tag" >/dev/null
echo "base-image: $tag from $tarball"
