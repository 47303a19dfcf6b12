#!/usr/bin/env bash
# Install what is missing, build, and run fakeredis-server in the foreground.
# Arguments go to the server (default: --port 6379). Try, in another shell:
#   redis-cli -p 6379 ping
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh
if [ $# -eq 0 ]; then
  set -- --port 6379
fi
exec "${BUILD_DIR:-build}/fake/fakeredis-server" "$@"
