#!/usr/bin/env bash
# Throughput of fakeredis-server against redis-server with redis-benchmark,
# plus the in-process start/stop latency (startstop). See README.md.
#
# usage: tests/bench/run.sh [BUILD_DIR]        (default: ./build)
# environment (defaults in brackets):
#   TESTS      redis-benchmark -t list, plus    [ping_inline,ping_mbulk,set,get,incr,mset,
#              zrange_100 (ZRANGE 0 99 of a      lpush,lpop,lrange_100,sadd,hset,zadd,
#              100-member zset, run as a command) zrange_100]
#   PIPELINES  pipeline depths (-P)            ["1 16"]
#   ROUNDS     rounds; the median is reported  [5]
#   N          requests per test at -P 1       [100000]
#   NP         requests per test at -P > 1     [5*N]
#   CLIENTS    parallel connections (-c)       [50]
#   REDIS      redis-server binary             [redis-server from PATH]
#   MEMKEYS    keys for the DEBUG POPULATE memory comparison, 0 to skip [1000000]
set -euo pipefail

BUILD=${1:-./build}
TESTS=${TESTS:-ping_inline,ping_mbulk,set,get,incr,mset,lpush,lpop,lrange_100,sadd,hset,zadd,zrange_100}
# zrange_100 is not a redis-benchmark test: it runs `ZRANGE key 0 99` as a
# command against a 100-member zset loaded into both servers first.
ZRANGE_KEY=fr:bench:zset100
BUILTIN_TESTS=$(echo ",$TESTS," | sed 's/,zrange_100,/,/g; s/^,//; s/,$//')
WANT_ZRANGE=0
case ",$TESTS," in *,zrange_100,*) WANT_ZRANGE=1 ;; esac
PIPELINES=${PIPELINES:-"1 16"}
ROUNDS=${ROUNDS:-5}
N=${N:-100000}
NP=${NP:-$((N * 5))}
CLIENTS=${CLIENTS:-50}
REDIS=${REDIS:-redis-server}
MEMKEYS=${MEMKEYS:-1000000}
FAKE=$BUILD/fake/fakeredis-server
STARTSTOP=$BUILD/tests/bench/startstop

die() { echo "bench: $*" >&2; exit 1; }
command -v "$REDIS" >/dev/null || die "$REDIS not found"
command -v redis-benchmark >/dev/null || die "redis-benchmark not found"
command -v redis-cli >/dev/null || die "redis-cli not found"
[ -x "$FAKE" ] || die "$FAKE not found (build first, or pass the build dir)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fr-bench-XXXXXX")
REDIS_PID= FAKE_PID=
cleanup() {
    [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null || true
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Poll cmd until it succeeds, for at most 10 s: the servers give no other
# signal that they are ready.
wait_for() {
    local deadline=$((SECONDS + 10))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.02
    done
}

# A port nobody listens on right now (bash can't bind port 0); a race with
# another process is caught below by checking who answers.
pick_port() {
    local p hex
    while :; do
        p=$((20000 + RANDOM % 40000))
        hex=$(printf ':%04X ' "$p")
        grep -qi "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$p"; return; }
    done
}

is_our_redis() { # port pid
    redis-cli -p "$1" info server 2>/dev/null | tr -d '\r' | grep -qx "process_id:$2"
}

start_redis() { # [extra redis-server arguments]
    local try port
    for try in 1 2 3 4 5; do
        port=$(pick_port)
        "$REDIS" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
            --daemonize no --logfile /dev/null --dir "$WORK" "$@" &
        REDIS_PID=$!
        if wait_for is_our_redis "$port" "$REDIS_PID"; then
            REDIS_PORT=$port
            return
        fi
        kill "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
    done
    die "could not start $REDIS"
}

start_fake() {
    "$FAKE" --port 0 --port-file "$WORK/fake.port" >/dev/null &
    FAKE_PID=$!
    wait_for grep -q '^[0-9]' "$WORK/fake.port" || die "$FAKE wrote no port file"
    FAKE_PORT=$(head -c 16 "$WORK/fake.port" | tr -dc 0-9)
    wait_for redis-cli -p "$FAKE_PORT" ping || die "$FAKE does not answer PING"
}

# One redis-benchmark run; appends "server pipeline TEST rps" lines.
bench() { # server port pipeline
    local n=$N
    [ "$3" -gt 1 ] && n=$NP
    # --csv rows: "TEST","rps",...; a test name may hold spaces
    if [ -n "$BUILTIN_TESTS" ]; then
        redis-benchmark -p "$2" -q --csv -c "$CLIENTS" -n "$n" -P "$3" -t "$BUILTIN_TESTS" 2>/dev/null |
            awk -F'"' -v OFS='\t' -v s="$1" -v p="$3" 'NR > 1 { print s, p, $2, $4 }' \
            >>"$WORK/results" || echo "bench: redis-benchmark failed against $1 (-P $3)" >&2
    fi
    if [ "$WANT_ZRANGE" = 1 ]; then
        redis-benchmark -p "$2" -q --csv -c "$CLIENTS" -n "$n" -P "$3" \
            ZRANGE "$ZRANGE_KEY" 0 99 2>/dev/null |
            awk -F'"' -v OFS='\t' -v s="$1" -v p="$3" 'NR > 1 { print s, p, "ZRANGE_100", $4 }' \
            >>"$WORK/results" || echo "bench: ZRANGE_100 failed against $1 (-P $3)" >&2
    fi
}

# The zset ZRANGE_100 reads: members m:0..m:99 with scores 0..99.
load_zrange_key() { # port
    local args=() i
    for ((i = 0; i < 100; i++)); do args+=("$i" "m:$i"); done
    redis-cli -p "$1" zadd "$ZRANGE_KEY" "${args[@]}" >/dev/null || die "ZADD failed on port $1"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0;
    else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

start_redis
start_fake
echo "redis-server $("$REDIS" --version | sed 's/.*v=\([^ ]*\).*/\1/') on port $REDIS_PORT (pid $REDIS_PID)," \
     "fakeredis-server on port $FAKE_PORT (pid $FAKE_PID)"
if [ "$WANT_ZRANGE" = 1 ]; then
    load_zrange_key "$REDIS_PORT"
    load_zrange_key "$FAKE_PORT"
fi
echo "tests=$TESTS pipelines=\"$PIPELINES\" rounds=$ROUNDS n=$N np=$NP clients=$CLIENTS"

: >"$WORK/results"
for ((round = 1; round <= ROUNDS; round++)); do
    for p in $PIPELINES; do
        # alternate who goes first, so drift (thermal, caches) hits both
        if ((round % 2)); then
            bench redis "$REDIS_PORT" "$p"; bench fake "$FAKE_PORT" "$p"
        else
            bench fake "$FAKE_PORT" "$p"; bench redis "$REDIS_PORT" "$p"
        fi
    done
    echo "round $round/$ROUNDS done" >&2
done

echo
printf '%-16s %8s %14s %14s %10s\n' test pipeline "redis rps" "fake rps" fake/redis
# rows in pipeline order, tests in the order redis-benchmark ran them
cut -f2,3 "$WORK/results" | awk '!seen[$0]++' | sort -t$'\t' -s -k1,1n |
while IFS=$'\t' read -r p t; do
    r=$(awk -F'\t' -v p="$p" -v t="$t" '$1 == "redis" && $2 == p && $3 == t { print $4 }' "$WORK/results" | median)
    f=$(awk -F'\t' -v p="$p" -v t="$t" '$1 == "fake" && $2 == p && $3 == t { print $4 }' "$WORK/results" | median)
    ratio=$(awk -v r="$r" -v f="$f" 'BEGIN { if (r > 0) printf "%.2f", f / r; else print "-" }')
    printf '%-16s %8s %14.0f %14.0f %10s\n' "$t" "$p" "$r" "$f" "$ratio"
done

echo
rss() { awk '/^VmRSS/ { print $2, $3 }' "/proc/$1/status" 2>/dev/null || echo "?"; }
echo "RSS: redis-server $(rss "$REDIS_PID"), fakeredis-server $(rss "$FAKE_PID")"

# Memory: fresh servers, the same keys loaded with DEBUG POPULATE (Redis
# needs enable-debug-command for it), resident set size compared.
if [ "$MEMKEYS" -gt 0 ]; then
    kill "$REDIS_PID" "$FAKE_PID" 2>/dev/null || true
    wait "$REDIS_PID" "$FAKE_PID" 2>/dev/null || true
    REDIS_PID= FAKE_PID=
    rm -f "$WORK/fake.port"
    start_redis --enable-debug-command yes
    start_fake
    rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
    r0=$(rss_kb "$REDIS_PID") f0=$(rss_kb "$FAKE_PID")
    redis-cli -p "$REDIS_PORT" debug populate "$MEMKEYS" >/dev/null || die "DEBUG POPULATE failed on redis"
    redis-cli -p "$FAKE_PORT" debug populate "$MEMKEYS" >/dev/null || die "DEBUG POPULATE failed on the fake"
    [ "$(redis-cli -p "$FAKE_PORT" dbsize)" = "$MEMKEYS" ] || die "the fake holds $(redis-cli -p "$FAKE_PORT" dbsize) keys"
    r1=$(rss_kb "$REDIS_PID") f1=$(rss_kb "$FAKE_PID")
    echo
    echo "DEBUG POPULATE $MEMKEYS: RSS redis-server $r0 -> $r1 kB, fakeredis-server $f0 -> $f1 kB," \
         "fake/redis $(awk -v r="$r1" -v f="$f1" 'BEGIN { printf "%.2f", f / r }')"
fi

# pub/sub: 100 subscribers fan-out, and PUBLISH with 1 vs 10,000 patterns
# (FANOUT_ARGS: extra flags for fanout, e.g. "-n 50000 -R 5")
FANOUT=$BUILD/tests/bench/fanout
if [ -x "$FANOUT" ]; then
    echo
    # shellcheck disable=SC2086
    "$FANOUT" -r "$REDIS_PORT" -f "$FAKE_PORT" ${FANOUT_ARGS:-} 2>/dev/null ||
        echo "bench: fanout failed" >&2
else
    echo "($FANOUT not built: pub/sub fan-out skipped)"
fi

if [ -x "$STARTSTOP" ]; then
    echo
    "$STARTSTOP"
else
    echo "($STARTSTOP not built: start/stop latency skipped)"
fi
