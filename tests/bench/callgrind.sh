#!/usr/bin/env bash
# Instructions per request of a fakeredis-server under redis-benchmark,
# counted by callgrind: the same total on every run of the same binary,
# whatever else the machine does, so two builds can be compared on a
# shared, noisy machine where throughput ratios cannot.
#
#   tests/bench/callgrind.sh [BINARY] [TESTS] [PIPELINES]
#   tests/bench/callgrind.sh build-rel/fake/fakeredis-server get,set,ping_mbulk "1 16"
#   REDIS=1 tests/bench/callgrind.sh "" get "1 16"     (redis-server instead)
#
# N (default 20000) requests per test from 50 clients. The figure is the
# whole process' instructions (start-up included, a few thousandths at
# N=20000) divided by N. With REDIS=1 it measures redis-server, whose
# start-up (loading its modules' symbols, jemalloc) is much larger: each
# row then runs N and 2N requests and divides the difference by N. Needs
# valgrind and redis-benchmark; loopback only. SERVER_ARGS: flags for the
# server (e.g. "--maxmemory 1gb"); COMMAND: one more row, that command run
# by redis-benchmark (e.g. "PUBLISH ch hello").
set -euo pipefail
bin=${1:-build-rel/fake/fakeredis-server}
tests=${2-get,set,ping_mbulk} # "": none (a COMMAND row alone)
pipelines=${3:-"1 16"}
n=${N:-20000}
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Instructions of one server run that answers `requests` requests.
count() { # test pipeline requests
    local t=$1 p=$2 requests=$3 port vg
    if [ "${REDIS:-0}" = 1 ]; then
        port=$((20000 + RANDOM % 20000))
        # shellcheck disable=SC2086 # SERVER_ARGS: words
        valgrind --tool=callgrind --callgrind-out-file="$dir/out" redis-server --port "$port" \
            --save '' --appendonly no ${SERVER_ARGS:-} >/dev/null 2>&1 &
        vg=$!
        for _ in $(seq 300); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    else
        # shellcheck disable=SC2086 # SERVER_ARGS: words
        valgrind --tool=callgrind --callgrind-out-file="$dir/out" "$bin" ${SERVER_ARGS:-} \
            --port 0 --port-file "$dir/port" >/dev/null 2>&1 &
        vg=$!
        for _ in $(seq 300); do [ -s "$dir/port" ] && break; sleep 0.1; done
        port=$(cat "$dir/port")
    fi
    if [ "$t" = COMMAND ]; then
        # shellcheck disable=SC2086 # the command's words
        redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -n "$requests" -P "$p" -q $COMMAND >/dev/null 2>&1
    else
        redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -n "$requests" -P "$p" -t "$t" -q >/dev/null 2>&1
    fi
    redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$vg" || true
    callgrind_annotate "$dir/out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
    rm -f "$dir/out" "$dir/port"
}

rows=${tests//,/ }
[ -n "${COMMAND:-}" ] && rows="$rows COMMAND"
for t in $rows; do
    for p in $pipelines; do
        if [ "${REDIS:-0}" = 1 ]; then
            a=$(count "$t" "$p" "$n")
            b=$(count "$t" "$p" $((2 * n)))
            per=$(((b - a) / n))
        else
            per=$(($(count "$t" "$p" "$n") / n))
        fi
        name=$t
        [ "$t" = COMMAND ] && name=${COMMAND%% *}
        printf '%-12s -P %-3s %8d instructions/request\n' "$name" "$p" "$per"
    done
done
