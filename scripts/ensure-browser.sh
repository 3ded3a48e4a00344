#!/usr/bin/env bash
# Make Debian's headless Chromium available for the browser test (never a browser downloaded by a tool).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    echo "==> chromium: $(chromium --version 2>/dev/null | head -n1)" >&2
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: chromium is missing; install Debian's 'chromium' package (the browser test needs it)" >&2
    exit 1
fi
echo "==> installing Debian's chromium" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "==> chromium: $(chromium --version 2>/dev/null | head -n1)" >&2
