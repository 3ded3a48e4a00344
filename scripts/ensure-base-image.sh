#!/usr/bin/env bash
# ensure-base-image.sh [IMAGE]: make sure a base image exists in the local Docker engine.
#
#   IMAGE defaults to ${DOTCLOUD_BASE_IMAGE:-debian:bookworm-slim}.
#
# Idempotent: if the image is already present it exits 0 at once. Otherwise it tries
# `docker pull` (with a timeout). If that fails and IMAGE is debian:<suite>-slim
# (suite = codename, stable/testing/..., or a release number such as 12), it builds
# an equivalent image locally, the way Debian's official images are made:
# `mmdebstrap --variant=minbase` (or debootstrap) from the machine's own Debian mirror, the same apt
# sources (incl. -updates and -security when the mirror has them) and the same
# Docker-oriented apt/dpkg settings as the official slim images, upgraded to the
# current -updates/-security packages, caches and package lists removed, then
# `tar | docker import`.
#
# Needs a working engine (run scripts/ensure-docker.sh first); the local build needs root.
#
# Environment (all optional):
#   DOTCLOUD_BASE_IMAGE       default image name (debian:bookworm-slim)
#   DOTCLOUD_PULL_TIMEOUT     seconds allowed for `docker pull` (default 60)
#   DOTCLOUD_DEBIAN_MIRROR    Debian mirror (default: the machine's own, from its apt sources)
#   DOTCLOUD_DEBIAN_SECURITY  Debian security mirror (default: the machine's own, or deb.debian.org)
#   DOTCLOUD_BOOTSTRAP        mmdebstrap (default; installed if missing) or debootstrap
set -euo pipefail

IMAGE="${1:-${DOTCLOUD_BASE_IMAGE:-debian:bookworm-slim}}"
PULL_TIMEOUT="${DOTCLOUD_PULL_TIMEOUT:-60}"

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

image_exists() { docker image inspect "$IMAGE" >/dev/null 2>&1; }

command -v docker >/dev/null 2>&1 || die "no docker client; run scripts/ensure-docker.sh first"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer ('docker info' failed); run scripts/ensure-docker.sh first"

if image_exists; then
    say "Image $IMAGE is present ($(docker image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-19))"
    exit 0
fi

# --- serialise concurrent runs --------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then LOCK=/run/lock/dotcloud-emulator-ensure-base-image.lock; else LOCK="${TMPDIR:-/tmp}/dotcloud-emulator-ensure-base-image.$(id -u).lock"; fi
mkdir -p "$(dirname "$LOCK")" 2>/dev/null || true
if command -v flock >/dev/null 2>&1 && exec 9>"$LOCK"; then
    if ! flock -n 9; then
        say "Another ensure-base-image.sh is running; waiting for it (lock $LOCK)"
        flock -w 900 9 || die "timed out waiting for lock $LOCK"
    fi
    if image_exists; then say "Image $IMAGE is present"; exit 0; fi
fi

# --- 1. pull ------------------------------------------------------------------------
t0=$SECONDS
say "Image $IMAGE not present; trying 'docker pull' (timeout ${PULL_TIMEOUT}s)"
if pull_out="$(timeout "$PULL_TIMEOUT" docker pull "$IMAGE" 2>&1)"; then
    say "Pulled $IMAGE in $((SECONDS - t0)) s"
    exit 0
fi
pull_err="$(printf '%s\n' "$pull_out" | tail -n 1)"
[ -n "$pull_err" ] || pull_err="no answer within ${PULL_TIMEOUT}s"
say "docker pull failed: $pull_err"

# --- 2. local build for debian:<suite>-slim ------------------------------------------------
name="${IMAGE#docker.io/}"
name="${name#library/}"
if [[ ! "$name" =~ ^debian:([a-z0-9]+)-slim$ ]]; then
    die "could not pull $IMAGE ($pull_err), and only debian:<suite>-slim images can be built locally.
    Load it another way (e.g. 'docker load -i FILE' from a machine that can pull it) or set DOTCLOUD_BASE_IMAGE."
fi
suite="${BASH_REMATCH[1]}"
case "$suite" in  # release numbers -> codenames
    10) suite=buster ;; 11) suite=bullseye ;; 12) suite=bookworm ;; 13) suite=trixie ;; 14) suite=forky ;;
esac

[ "$(id -u)" -eq 0 ] || die "could not pull $IMAGE ($pull_err); building it locally with debootstrap needs root: re-run as root"



host_codename="$(os_field VERSION_CODENAME)"
pairs=""
[ "$(os_field ID)" = debian ] && pairs="$(apt_source_pairs || true)"
mirror="${DOTCLOUD_DEBIAN_MIRROR:-$(printf '%s\n' "$pairs" | awk -v c="$host_codename" '$2 == c { print $1; exit }')}"
mirror="${mirror:-http://deb.debian.org/debian}"
mirror="${mirror%/}"
security="${DOTCLOUD_DEBIAN_SECURITY:-$(printf '%s\n' "$pairs" | awk -v c="$host_codename-security" '$2 == c { print $1; exit }')}"
if [ -z "$security" ]; then
    case "$mirror" in */debian) security="${mirror%/debian}/debian-security" ;; *) security=http://deb.debian.org/debian-security ;; esac
fi
security="${security%/}"

url_ok() {  # does this URL answer 200 (HEAD)?
    if command -v curl >/dev/null 2>&1; then curl -fsSI --max-time 15 -o /dev/null "$1" 2>/dev/null
    elif command -v wget >/dev/null 2>&1; then wget -q --spider --timeout=15 "$1" 2>/dev/null
    else return 2; fi
}

APT_LOG="$(mktemp /tmp/dotcloud-base-image-log.XXXXXX)"
run_logged() {  # run_logged CMD...: quiet, tail of the output on failure
    if ! DEBIAN_FRONTEND=noninteractive "$@" >"$APT_LOG" 2>&1; then
        tail -n 25 "$APT_LOG" >&2
        return 1
    fi
}

ROOTFS=""
cleanup() {
    if [ -n "$ROOTFS" ] && [ -d "$ROOTFS" ]; then
        if mountpoint -q "$ROOTFS/rootfs/proc" 2>/dev/null; then umount -l "$ROOTFS/rootfs/proc" || true; fi
        rm -rf --one-file-system "$ROOTFS"
    fi
    rm -f "$APT_LOG"
}
trap cleanup EXIT

apt_install() {  # apt_install PKG...: install from the machine's apt sources (refreshed if need be)
    command -v apt-get >/dev/null 2>&1 || return 1
    local cand
    cand="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')"
    if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then say "apt-get update"; run_logged apt-get update || return 1; fi
    say "apt-get install $*"
    run_logged apt-get install -y --no-install-recommends "$@" && return 0
    say "install failed; refreshing package lists and retrying"
    run_logged apt-get update && run_logged apt-get install -y --no-install-recommends "$@"
}

# The bootstrapper: mmdebstrap where it is or can be installed (apt fetches the packages over a
# few connections where debootstrap fetches them one by one, and the -updates and -security
# suites come in the same pass, so there is no upgrade afterwards), else debootstrap.
# DOTCLOUD_BOOTSTRAP=debootstrap asks for the latter. Releases before bookworm have no
# usr-is-merged package, which mmdebstrap's merged-/usr hook installs: debootstrap makes those
# (merged /usr as well, the layout the images built here always had).
keyring=()
[ "$(os_field ID)" = debian ] || keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
default_bootstrap=mmdebstrap
case "$suite" in jessie | stretch | buster | bullseye | oldoldstable) default_bootstrap=debootstrap ;; esac
bootstrap="${DOTCLOUD_BOOTSTRAP:-$default_bootstrap}"
case "$bootstrap" in mmdebstrap | debootstrap) ;; *) die "DOTCLOUD_BOOTSTRAP is '$bootstrap': mmdebstrap or debootstrap" ;; esac
if [ "$bootstrap" = mmdebstrap ] && ! command -v mmdebstrap >/dev/null 2>&1 && ! apt_install mmdebstrap; then
    say "mmdebstrap could not be installed; using debootstrap"
    bootstrap=debootstrap
fi
if [ "$bootstrap" = debootstrap ] && ! command -v debootstrap >/dev/null 2>&1; then
    pkgs=(debootstrap)
    [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] || pkgs+=(debian-archive-keyring)
    apt_install "${pkgs[@]}" \
        || die "could not pull $IMAGE ($pull_err), and could not install debootstrap (output above): install it"
fi

# The suites the image's apt sources name: -updates and -security only when the mirror has them.
suites="$suite"
if [ "$suite" != sid ] && [ "$suite" != unstable ] && [ "$suite" != experimental ]; then
    url_ok "$mirror/dists/$suite-updates/InRelease" && suites="$suite $suite-updates"
    url_ok "$security/dists/$suite-security/InRelease" && have_security=1
fi

# In memory where there is room: dpkg syncs every file it unpacks, which on a disk is most of
# the bootstrap's time and on a tmpfs costs nothing (the chroot needs its programs and device
# nodes: not on a noexec or nodev mount); the rootfs is a few hundred MB at most.
workdir=/var/tmp
shm_options="$(findmnt -n -o OPTIONS /dev/shm 2>/dev/null || true)"
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] \
    && [[ ",$shm_options," != *,noexec,* && ",$shm_options," != *,nodev,* ]] \
    && [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt 1048576 ] 2>/dev/null; then
    workdir=/dev/shm
fi
ROOTFS="$(mktemp -d "$workdir/dotcloud-rootfs.XXXXXX")"
R="$ROOTFS/rootfs"
t1=$SECONDS
if [ "$bootstrap" = mmdebstrap ]; then
    sources=()
    for s in $suites; do sources+=("deb $mirror $s main"); done
    [ -n "${have_security:-}" ] && sources+=("deb $security $suite-security main")
    say "Building $IMAGE locally: mmdebstrap --variant=minbase $suites${have_security:+ $suite-security} from $mirror"
    TMPDIR="$ROOTFS" run_logged mmdebstrap --variant=minbase --mode=root --format=directory "${keyring[@]}" \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --aptopt='Acquire::Languages "none"' --dpkgopt=force-unsafe-io "$suite" "$R" "${sources[@]}" \
        || die "mmdebstrap $suite from $mirror failed (output above); could not pull $IMAGE either ($pull_err)"
    rm -f "$R/etc/apt/apt.conf.d/99mmdebstrap" "$R/etc/dpkg/dpkg.cfg.d/99mmdebstrap"
    say "mmdebstrap done in $((SECONDS - t1)) s"
else
    say "Building $IMAGE locally: debootstrap --variant=minbase $suite from $mirror"
    run_logged debootstrap --variant=minbase --arch="$(dpkg --print-architecture)" "${keyring[@]}" "$suite" "$R" "$mirror" \
        || die "debootstrap $suite from $mirror failed (output above); could not pull $IMAGE either ($pull_err)"
    say "debootstrap done in $((SECONDS - t1)) s"
fi

# apt sources as in the official images (deb822).
rm -f "$R/etc/apt/sources.list"
mkdir -p "$R/etc/apt/sources.list.d"
{
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" "$suites"
    if [ -n "${have_security:-}" ]; then
        printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$security" "$suite"
    fi
} >"$R/etc/apt/sources.list.d/debian.sources"
say "apt sources in the image: $mirror ($suites)${have_security:+, $security ($suite-security)}"

# Docker-oriented settings of the official images (debuerreotype minimizing-config + slimify).
cat >"$R/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# In "docker build", starting services doesn't work: keep package scripts from trying.
exit 101
EOF
chmod 0755 "$R/usr/sbin/policy-rc.d"
printf 'force-unsafe-io\n' >"$R/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
printf 'Apt::AutoRemove::SuggestsImportant "false";\n' >"$R/etc/apt/apt.conf.d/docker-autoremove-suggests"
printf 'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n' >"$R/etc/apt/apt.conf.d/docker-clean"
printf 'Acquire::GzipIndexes "true";\n' >"$R/etc/apt/apt.conf.d/docker-gzip-indexes"
printf 'Acquire::Languages "none";\n' >"$R/etc/apt/apt.conf.d/docker-no-languages"
cat >"$R/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# slim image: no documentation, man pages or translations (copyright files are kept)
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF

# debootstrap's rootfs is the release as first published: bring it to the current point release
# and security updates, like the official images (mmdebstrap's came from those suites already).
if [ "$bootstrap" = debootstrap ]; then
    t1=$SECONDS
    say "Upgrading the rootfs from its apt sources"
    run_logged chroot "$R" apt-get update || die "apt-get update inside the new rootfs failed (output above)"
    run_logged chroot "$R" apt-get -y -o Dpkg::Options::=--force-confold dist-upgrade \
        || die "apt-get dist-upgrade inside the new rootfs failed (output above)"
    upgraded="$(grep -c '^Unpacking ' "$APT_LOG" || true)"
    say "Upgraded $upgraded package(s) in $((SECONDS - t1)) s"
fi

# Slimify and clean.
for d in doc groff info linda lintian locale man; do
    [ -d "$R/usr/share/$d" ] || continue
    find "$R/usr/share/$d" -xdev -mindepth 1 ! -type d \
        ! -path "$R/usr/share/doc/*/copyright" ! -path "$R/usr/share/locale/locale.alias" -delete
    find "$R/usr/share/$d" -xdev -mindepth 1 -depth -type d -empty -delete
done
rm -rf "$R"/var/lib/apt/lists/* "$R"/var/cache/apt/*.bin "$R"/var/cache/apt/archives/*.deb \
       "$R"/var/cache/apt/archives/partial/* "$R"/var/cache/debconf/*-old "$R"/var/lib/dpkg/*-old \
       "$R"/var/cache/ldconfig/aux-cache "$R"/var/log/apt/* "$R"/var/log/dpkg.log \
       "$R"/var/log/alternatives.log "$R"/var/log/bootstrap.log "$R"/tmp/* "$R"/var/tmp/* "$R"/root/.bash_history
mkdir -p "$R/var/lib/apt/lists/partial"
: >"$R/etc/resolv.conf"            # Docker provides these at run time
[ -e "$R/etc/hostname" ] && printf 'localhost\n' >"$R/etc/hostname"
[ -e "$R/etc/machine-id" ] && : >"$R/etc/machine-id"

say "Importing the rootfs ($(du -sh --exclude=./dev "$R" | cut -f1)) as $IMAGE"
tar --numeric-owner --xattrs --xattrs-include='*' -C "$R" \
    --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf - . \
  | docker import \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'CMD ["bash"]' \
        -m "$bootstrap --variant=minbase $suite $mirror (scripts/ensure-base-image.sh, docker pull failed)" \
        - "$IMAGE" >/dev/null \
  || die "docker import of the built rootfs as $IMAGE failed"

image_exists || die "docker import reported success but $IMAGE is not there"
say "Built $IMAGE locally in $((SECONDS - t0)) s ($(docker image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
