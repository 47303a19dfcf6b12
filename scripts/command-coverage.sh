#!/usr/bin/env bash
# Which commands and subcommands of the reference redis-server the fake
# still lacks (and which it has that Redis does not): COMMAND LIST on both,
# compared. Both servers run on free loopback ports and stop at the end.
#
#   scripts/command-coverage.sh [path/to/fakeredis-server] [redis-server]
set -euo pipefail
cd "$(dirname "$0")/.."
FAKE=${1:-build/fake/fakeredis-server}
REDIS=${2:-redis-server}
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rport=$(free_port)
"$REDIS" --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
    --logfile /dev/null &
pids+=($!)
"$FAKE" --port 0 --port-file "$tmp/fake.port" --bind 127.0.0.1 >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do
    [ -s "$tmp/fake.port" ] && redis-cli -p "$rport" ping >/dev/null 2>&1 && break
    sleep 0.05
done
fport=$(cat "$tmp/fake.port")

redis-cli -p "$rport" command list | sort >"$tmp/redis"
redis-cli -p "$fport" command list | grep -v '^fake\.' | sort >"$tmp/fake"
version=$(redis-cli -p "$rport" info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p')

echo "redis-server $version: $(wc -l <"$tmp/redis") commands and subcommands" \
    "($(redis-cli -p "$rport" command count) top-level)"
echo "fake: $(wc -l <"$tmp/fake") (FAKE.* left out)"
echo "--- missing in the fake ($(comm -23 "$tmp/redis" "$tmp/fake" | wc -l)):"
comm -23 "$tmp/redis" "$tmp/fake" | paste -sd' ' | fold -s -w 100
echo "--- in the fake, not in redis-server $version ($(comm -13 "$tmp/redis" "$tmp/fake" | wc -l)):"
comm -13 "$tmp/redis" "$tmp/fake" | paste -sd' ' | fold -s -w 100
