#!/usr/bin/env bash
# Install what building and testing fakeredis needs, from Debian's packages,
# skipping what is already there. Safe to run again.
set -euo pipefail

packages=(build-essential cmake pkg-config libevent-dev libhiredis-dev libcmocka-dev
          redis-server redis-tools)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts a redis-server service on 6379 when it can; the tests start
# their own on free ports and don't need it.
