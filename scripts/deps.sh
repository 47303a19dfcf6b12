#!/usr/bin/env bash
# Install what fakeredis needs from Debian's packages, skipping what is
# already there. Safe to run again.
#   scripts/deps.sh server   to build and run fakeredis-server
#   scripts/deps.sh          to build and run the tests (the default): adds
#                            hiredis, cmocka, the reference redis-server and
#                            tcpdump (the pcap import's live capture test)
#   scripts/deps.sh fuzz     the tests' packages, and clang with its
#                            libFuzzer and sanitizer runtimes (tests/fuzz)
set -euo pipefail

packages=(build-essential cmake pkg-config libevent-dev liblua5.1-0-dev lua-cjson-dev lua-bitop-dev)
if [ "${1:-test}" != "server" ]; then
  packages+=(libhiredis-dev libcmocka-dev redis-server redis-tools python3-redis tcpdump)
fi
if [ "${1:-test}" = "fuzz" ]; then
  packages+=(clang libclang-rt-dev)
fi
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
# python3-redis: examples/any-language (the Python test is skipped without it).
# The tests start their own redis-server on free ports; a service Debian may
# have started on 6379 is not used.
