#!/usr/bin/env bash
# ensure-docker.sh: make a Docker engine and Compose v2 usable on this machine.
#
# Idempotent: when `docker info` and `docker compose version` (v2) already work it
# only says so and exits 0. Otherwise, as needed:
#   1. installs the engine (Debian/Ubuntu, as root: apt-get install docker.io iptables);
#   2. starts dockerd in the background when there is no init system doing it
#      (log: /var/log/dotcloud-emulator-dockerd.log) and polls `docker info`;
#   3. installs Compose v2 as a CLI plugin in /usr/local/lib/docker/cli-plugins/,
#      and (best effort, never fatal) the buildx plugin, so that plain `docker build`
#      uses BuildKit too. On Debian < 13 both come from Debian 13 ("trixie")'s
#      docker-compose / docker-buildx packages (static Go binaries), fetched through
#      a throw-away apt configuration (its own sources and lists in a temp dir): the
#      machine's apt sources, pins and lists are never modified.
#
# Environment (all optional):
#   DOTCLOUD_DOCKERD_TIMEOUT   seconds to wait for dockerd to answer (default 60)
#   DOTCLOUD_DOCKERD_LOG       dockerd log file (default /var/log/dotcloud-emulator-dockerd.log)
#   DOTCLOUD_DEBIAN_MIRROR     Debian mirror URI (default: the machine's own, from its apt sources)
#   DOTCLOUD_COMPOSE_SUITE     Debian suite to take the Compose v2/buildx plugins from (default trixie)
#   DOTCLOUD_INSTALL_BUILDX    1 (default): also install the buildx plugin when missing; 0: don't
set -euo pipefail

DOCKERD_TIMEOUT="${DOTCLOUD_DOCKERD_TIMEOUT:-60}"
DOCKERD_LOG="${DOTCLOUD_DOCKERD_LOG:-/var/log/dotcloud-emulator-dockerd.log}"
COMPOSE_SUITE="${DOTCLOUD_COMPOSE_SUITE:-trixie}"
INSTALL_BUILDX="${DOTCLOUD_INSTALL_BUILDX:-1}"
PLUGIN_DIR=/usr/local/lib/docker/cli-plugins

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

is_root() { [ "$(id -u)" -eq 0 ]; }

is_debian_like() {
    case " $(os_field ID) $(os_field ID_LIKE) " in
        *" debian "*|*" ubuntu "*) return 0 ;;
    esac
    return 1
}

engine_ok() { docker info >/dev/null 2>&1; }

compose_version() {  # prints e.g. 2.26.1 when Compose v2+ is usable as `docker compose`
    local v
    v="$(docker compose version --short 2>/dev/null)" || return 1
    v="${v#v}"
    case "$v" in
        [2-9].*|[1-9][0-9].*) printf '%s' "$v" ;;
        *) return 1 ;;
    esac
}

buildx_ok() { docker buildx version >/dev/null 2>&1; }
buildx_wanted_missing() { [ "$INSTALL_BUILDX" = 1 ] && ! buildx_ok; }

report_ok() {
    local server driver cgroup
    server="$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')"
    driver="$(docker info --format '{{.Driver}}' 2>/dev/null || echo '?')"
    cgroup="$(docker info --format 'cgroup v{{.CgroupVersion}}, {{.CgroupDriver}} driver' 2>/dev/null || echo '?')"
    say "Docker is usable: engine $server (storage $driver, $cgroup), Compose $(compose_version), buildx $(docker buildx version 2>/dev/null | awk '{print $2}' || true)"
}

# --- fast path (no lock needed) -------------------------------------------------------
if command -v docker >/dev/null 2>&1 && engine_ok && compose_version >/dev/null && ! buildx_wanted_missing; then
    report_ok
    exit 0
fi

# --- serialise concurrent runs --------------------------------------------------------
if is_root; then LOCK=/run/lock/dotcloud-emulator-ensure-docker.lock; else LOCK="${TMPDIR:-/tmp}/dotcloud-emulator-ensure-docker.$(id -u).lock"; fi
mkdir -p "$(dirname "$LOCK")" 2>/dev/null || true
if command -v flock >/dev/null 2>&1 && exec 9>"$LOCK"; then
    if ! flock -n 9; then
        say "Another ensure-docker.sh is running; waiting for it (lock $LOCK)"
        flock -w 900 9 || die "timed out waiting for lock $LOCK"
    fi
fi

# --- apt helpers ----------------------------------------------------------------------
APT_UPDATED=0
APT_LOG="$(mktemp /tmp/dotcloud-ensure-docker-apt.XXXXXX)"
trap 'rm -f "$APT_LOG"' EXIT
apt_run() {  # apt_run ARGS...: run apt-get quietly, show the tail of its output on failure
    if ! DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$APT_LOG" 2>&1; then
        tail -n 20 "$APT_LOG" >&2
        return 1
    fi
}
apt_update() {
    say "apt-get update"
    apt_run update
    APT_UPDATED=1
}
apt_candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}'; }
apt_install() {  # apt_install PKG...: `apt-get update` only when a candidate is missing or the install fails
    local p need=0
    for p in "$@"; do
        case "$(apt_candidate "$p")" in ''|'(none)') need=1 ;; esac
    done
    [ "$need" = 1 ] && [ "$APT_UPDATED" = 0 ] && apt_update
    say "apt-get install --no-install-recommends $*"
    if ! apt_run install -y --no-install-recommends "$@"; then
        [ "$APT_UPDATED" = 1 ] && return 1
        say "install failed; refreshing package lists and retrying"
        apt_update || return 1
        apt_run install -y --no-install-recommends "$@" || return 1
    fi
}

need_install_msg() {
    die "$1
    Please install Docker Engine and the Compose v2 plugin yourself, e.g. following
    https://docs.docker.com/engine/install/ (packages docker-ce + docker-compose-plugin),
    or on Debian/Ubuntu run this script as root so it can apt-get install docker.io."
}

# --- 1. engine installed? ---------------------------------------------------------------
if ! engine_ok; then
    if [ -n "${DOCKER_HOST:-}" ] && [[ "$DOCKER_HOST" != unix://* ]]; then
        die "DOCKER_HOST=$DOCKER_HOST does not answer (docker info failed); not starting a local engine for a remote DOCKER_HOST"
    fi
    if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1 \
        || ! command -v iptables >/dev/null 2>&1; then
        if ! is_root; then
            need_install_msg "No Docker engine (dockerd) here and not running as root."
        fi
        if ! is_debian_like || ! command -v apt-get >/dev/null 2>&1; then
            need_install_msg "No Docker engine (dockerd) here and this is not Debian/Ubuntu ($(os_field ID))."
        fi
        t0=$SECONDS
        apt_install docker.io iptables || die "apt-get install docker.io iptables failed (output above)"
        say "Installed docker.io ($(dpkg-query -W -f '${Version}' docker.io)) in $((SECONDS - t0)) s"
    fi
fi

# --- 2. engine running? -----------------------------------------------------------------
if ! engine_ok; then
    err="$(docker info 2>&1 >/dev/null || true)"
    if printf '%s' "$err" | grep -qi 'permission denied'; then
        die "The Docker engine runs but this user may not use it: $(printf '%s' "$err" | tail -n 1)
    Add yourself to the 'docker' group (then log in again) or run as root."
    fi
    if ! is_root; then
        die "The Docker engine is installed but not running, and starting it needs root.
    Start it with e.g. 'sudo service docker start' / 'sudo systemctl start docker', or run this script as root."
    fi
    if pid="$(pgrep -x dockerd 2>/dev/null | head -n 1)" && [ -n "$pid" ]; then
        say "dockerd (pid $pid) is already running but not answering yet; waiting for it"
    else
        # With a real init system, let it manage the daemon; otherwise start it ourselves.
        if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
            say "Starting docker via systemctl"
            systemctl start docker >&2 || true
            pid=""
        fi
        if ! engine_ok && ! pgrep -x dockerd >/dev/null 2>&1; then
            say "Starting dockerd in the background (log: $DOCKERD_LOG)"
            mkdir -p "$(dirname "$DOCKERD_LOG")"
            printf '\n===== %s ensure-docker.sh starting dockerd =====\n' "$(date -Is)" >>"$DOCKERD_LOG"
            # 9>&-: the daemon must not inherit (and hold forever) our lock file.
            setsid nohup dockerd </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
            pid=$!
        fi
    fi
    t0=$SECONDS
    deadline=$((SECONDS + DOCKERD_TIMEOUT))
    until engine_ok; do
        if [ -n "${pid:-}" ] && ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$DOCKERD_LOG" >&2 || true
            die "dockerd exited during start-up (log above, full log: $DOCKERD_LOG)"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            tail -n 30 "$DOCKERD_LOG" >&2 || true
            die "dockerd did not answer 'docker info' within ${DOCKERD_TIMEOUT}s (log above, full log: $DOCKERD_LOG)"
        fi
        sleep 0.5
    done
    say "Docker engine $(docker version --format '{{.Server.Version}}') answers (after $((SECONDS - t0)) s)"
fi

# --- 3. Compose v2 and buildx plugins ---------------------------------------------------
debian_mirror() {  # the machine's own Debian mirror (first apt source carrying its release suite)
    if [ -n "${DOTCLOUD_DEBIAN_MIRROR:-}" ]; then printf '%s' "${DOTCLOUD_DEBIAN_MIRROR%/}"; return; fi
    local uri
    uri="$(source_for_suite "$(os_field VERSION_CODENAME)")"
    uri="${uri:-http://deb.debian.org/debian}"
    printf '%s' "${uri%/}"
}

fetch_plugins_from_debian_suite() {  # PKG...: put the cli-plugins of these $COMPOSE_SUITE packages into $PLUGIN_DIR
    local mirror tmp arch pkg deb plugin rc=0
    mirror="$(debian_mirror)"
    arch="$(dpkg --print-architecture)"
    tmp="$(mktemp -d /tmp/dotcloud-cli-plugins.XXXXXX)"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp' \"\$APT_LOG\"" EXIT
    mkdir -p "$tmp/etc/sources.list.d" "$tmp/etc/preferences.d" "$tmp/lists/partial" \
             "$tmp/cache/archives/partial" "$tmp/dl"
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' \
        "$mirror" "$COMPOSE_SUITE" /usr/share/keyrings/debian-archive-keyring.gpg \
        >"$tmp/etc/sources.list.d/plugins.sources"
    # Low pin priority, for good measure (this configuration is never used to install anything).
    printf 'Package: *\nPin: release n=%s\nPin-Priority: 1\n' "$COMPOSE_SUITE" >"$tmp/etc/preferences.d/plugins"
    local -a aptopts=(
        -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$tmp/etc/sources.list.d"
        -o "Dir::Etc::Preferences=/dev/null" -o "Dir::Etc::PreferencesParts=$tmp/etc/preferences.d"
        -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache"
        -o "APT::Architecture=$arch" -o "APT::Sandbox::User=root" -o "Acquire::Languages=none"
    )
    say "Fetching $* from Debian $COMPOSE_SUITE ($mirror) via a temporary apt configuration"
    if ! apt_run "${aptopts[@]}" update; then
        say "apt-get update for $COMPOSE_SUITE ($mirror) failed"; rc=1
    else
        for pkg in "$@"; do
            if ! ( cd "$tmp/dl" && apt_run "${aptopts[@]}" download "$pkg/$COMPOSE_SUITE" ); then
                say "apt-get download $pkg/$COMPOSE_SUITE failed"; rc=1; continue
            fi
            deb="$(ls "$tmp/dl/${pkg}"_*.deb)"
            rm -rf "$tmp/root" && mkdir "$tmp/root"
            dpkg-deb -x "$deb" "$tmp/root"
            plugin="$tmp/root/usr/libexec/docker/cli-plugins/$pkg"
            if [ ! -x "$plugin" ]; then say "$(basename "$deb") has no ${plugin#"$tmp/root"}"; rc=1; continue; fi
            install -D -m 0755 "$plugin" "$PLUGIN_DIR/$pkg"
            say "Installed $PLUGIN_DIR/$pkg from $(basename "$deb")"
        done
    fi
    rm -rf "$tmp"
    trap 'rm -f "$APT_LOG"' EXIT
    return "$rc"
}

apt_has_candidate() { local c; c="$(apt_candidate "$1")"; [ -n "$c" ] && [ "$c" != "(none)" ]; }

if ! compose_version >/dev/null || buildx_wanted_missing; then
    t0=$SECONDS
    want_compose=0; compose_version >/dev/null || want_compose=1
    want_buildx=0; if buildx_wanted_missing; then want_buildx=1; fi
    if ! is_root || ! is_debian_like || ! command -v apt-get >/dev/null 2>&1; then
        [ "$want_compose" = 1 ] && die "Docker Compose v2 is missing ('docker compose version' does not print v2).
    Install the Compose v2 CLI plugin (package docker-compose-plugin from Docker, docker-compose-v2 on Ubuntu,
    docker-compose on Debian >= 13; https://docs.docker.com/compose/install/linux/), or copy the 'docker-compose'
    v2 binary to ~/.docker/cli-plugins/. On Debian/Ubuntu, running this script as root does it."
        say "WARNING: the docker buildx plugin is missing, so plain 'docker build' uses the legacy builder
    ('docker compose build' still uses BuildKit). Install docker-buildx-plugin / docker-buildx to get it,
    or set DOTCLOUD_INSTALL_BUILDX=0 to silence this."
        report_ok
        exit 0
    fi
    fetch=()
    if [ "$want_compose" = 1 ]; then
        cand="$(apt_candidate docker-compose)"
        if [ "$(os_field ID)" = ubuntu ] && apt_has_candidate docker-compose-v2; then
            apt_install docker-compose-v2 || die "apt-get install docker-compose-v2 failed (output above)"
        elif apt_has_candidate docker-compose && dpkg --compare-versions "$cand" ge 2; then
            # Debian >= 13 ships Compose v2 under this name
            apt_install docker-compose || die "apt-get install docker-compose failed (output above)"
        else
            fetch+=(docker-compose)   # Debian <= 12 ships Compose v1: take the static v2 plugin from trixie
        fi
    fi
    if [ "$want_buildx" = 1 ]; then
        if apt_has_candidate docker-buildx; then   # Debian >= 13, Ubuntu
            apt_install docker-buildx || say "WARNING: apt-get install docker-buildx failed"
        else
            fetch+=(docker-buildx)
        fi
    fi
    if [ "${#fetch[@]}" -gt 0 ]; then
        fetch_plugins_from_debian_suite "${fetch[@]}" || true   # outcome checked below
    fi
    v="$(compose_version)" || die "Compose v2 still not usable: $(docker compose version 2>&1 | tail -n 1)"
    if [ "$want_compose" = 1 ]; then say "Compose $v usable"; fi
    if [ "$want_buildx" = 1 ]; then
        if buildx_ok; then
            say "buildx $(docker buildx version | awk '{print $2}') usable"
        else
            say "WARNING: could not install the buildx plugin; plain 'docker build' will use the legacy builder
    ('docker compose build' still uses BuildKit). Set DOTCLOUD_INSTALL_BUILDX=0 to stop trying."
        fi
    fi
    say "Plugins done in $((SECONDS - t0)) s"
fi

report_ok
