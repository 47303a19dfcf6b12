#!/bin/bash
# redis-benchmark --cluster against `fakeredis-server --cluster 3
# --cluster-replicas 1`: it reads the nodes from CLUSTER NODES, sends each
# key to its master, and must finish SET and GET with a nonzero rate.
# usage: redis_benchmark_cluster.sh FAKEREDIS-SERVER   (exit 77: no redis-benchmark)
set -u
command -v redis-benchmark >/dev/null || exit 77
tmp=$(mktemp -d)
# shellcheck source=tests/clients/fakeserver.sh
. "$(dirname "$0")/fakeserver.sh"
trap 'kill $FAKE_PID 2>/dev/null; wait $FAKE_PID; rm -rf "$tmp"' EXIT
fake_start "$1" "$tmp/ports" --cluster 3 --cluster-replicas 1 || { echo "no port file"; exit 1; }
port=$(head -1 "$tmp/ports")
out=$(timeout 60 redis-benchmark --cluster -p "$port" -n 2000 -c 10 -t set,get -q 2>&1 | tr '\r' '\n')
echo "$out" | grep -E '^(SET|GET): [0-9]'
for t in SET GET; do
    rps=$(echo "$out" | sed -n "s/^$t: \([0-9.]*\) requests per second.*/\1/p" | tail -1)
    if [ -z "$rps" ] || ! awk -v r="$rps" 'BEGIN { exit !(r > 0) }'; then
        echo "redis-benchmark --cluster: no $t rate"
        echo "$out" | tail -20
        exit 1
    fi
done
# a sanitizer build reports leaks and errors through the exit status
kill $FAKE_PID
wait $FAKE_PID || { echo "fakeredis-server exited with $?"; exit 1; }
