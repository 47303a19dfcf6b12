#!/usr/bin/env bash
# Install what is missing, build, and run fakeredis-server in the
# foreground (Ctrl-C stops it). Arguments go to the server; the default is
# --port 6379. It PINGs the server once it listens, so you see it answer.
# Then, from another shell: redis-cli -p 6379 ping
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh server
# its own build directory: no tests, so no hiredis or cmocka needed
BUILD_DIR=build-server ./scripts/build.sh -DFR_BUILD_TESTS=OFF -DFR_BUILD_EXAMPLES=OFF
if [ $# -eq 0 ]; then
  set -- --port 6379
fi
portfile=$(mktemp)
rm -f "$portfile"
build-server/fake/fakeredis-server "$@" --port-file "$portfile" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; rm -f "$portfile"; exit 0' INT TERM
for _ in $(seq 1 200); do
  [ -s "$portfile" ] && break
  if ! kill -0 $pid 2>/dev/null; then
    echo "fakeredis-server did not start (is the port taken? try: $0 --port 0)" >&2
    exit 1
  fi
  sleep 0.01
done
port=$(head -n1 "$portfile") # the first line: the master, with --replicas/--cluster
rm -f "$portfile"
if [ "$port" = "-1" ]; then
  echo "fakeredis-server pid $pid listens on its unix socket only"
  wait $pid
  exit $?
fi
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'PING\r\n' >&3
read -r reply <&3
exec 3<&-
echo "PING -> ${reply%$'\r'}   (fakeredis-server pid $pid, port $port; Ctrl-C stops it)"
wait $pid
