#!/usr/bin/env bash
# Make Debian's `docker-registry` (Docker's Distribution registry) available, for the Swarm
# registry test and for users who push an application's images to a registry on 127.0.0.1.
# Idempotent: does nothing when the binary is there. The package's own service is not used: the
# test runs the registry itself, on a free loopback port, with its storage in a temporary folder.
set -euo pipefail
if command -v docker-registry >/dev/null 2>&1; then
    echo "==> docker-registry: $(docker-registry --version 2>/dev/null | head -n1)" >&2
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: docker-registry is missing; install Debian's 'docker-registry' package" >&2
    exit 1
fi
echo "==> installing Debian's docker-registry" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# No init system here: keep the package from starting its service (policy-rc.d says "not now").
policy=/usr/sbin/policy-rc.d
created_policy=no
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    created_policy=yes
fi
status=0
apt-get install -y -qq --no-install-recommends docker-registry >/dev/null || status=$?
if [ "$created_policy" = yes ]; then
    rm -f "$policy"
fi
[ "$status" -eq 0 ] || exit "$status"
echo "==> docker-registry: $(docker-registry --version 2>/dev/null | head -n1)" >&2
