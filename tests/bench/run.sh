#!/usr/bin/env bash
# fakeredis-server against redis-server, side by side in one run: a
# benchmark, not a test (numbers to watch, no thresholds). See README.md.
#
# usage: tests/bench/run.sh [BUILD_DIR] [PART...]      (default: ./build, all parts)
# parts (also PARTS="..." in the environment):
#   throughput  redis-benchmark -c 50 at -P 1 and -P 16, the tests in TESTS
#   pubsub      fanout: 50 publishers + 10 subscribers, 1 pipelined publisher
#               + 100 subscribers, PUBLISH cost with 1 and 10,000 patterns
#   startstop   in-process fake, threaded and attached: start+connect+PING+stop
#   topology    start+stop of a master + 2 replicas (with and without Sentinel),
#               a 3-master cluster, 3 masters + 3 replicas (topostart)
#   memory      RSS per key by type, and per member of a 1M-member sorted set
#   conns       RSS per idle connection (10,000 connections)
#   scale       cost ratio large/small of ZRANK, ZRANGE, LINDEX, LRANGE, KEYS,
#               SCAN, SUNION, ZUNIONSTORE (1k vs 1M)
#   streams     XADD and XRANGE (10 entries) at -P 16, XREADGROUP with XACK,
#               RSS per stream entry
#   journal     the fake with its journal (default) against the fake without
#               (--journal-size 0): redis-benchmark at PIPELINES, ratio on/off
#   fixture     the harness' fixture inside cmocka: start + connect + PING +
#               stop per test, and the group fixture's reset
#   scripting   EVALSHA of a cached redis.call('INCR', KEYS[1]) at each of
#               PIPELINES, and RSS per cached script (SCRIPTS loaded)
# Every ratio printed is oriented so that > 1 means the fake is better:
# throughput fake/redis, cost (time, bytes) redis/fake; with rounds, it is
# the median of the per-round ratios.
#
# environment (defaults in brackets):
#   ROUNDS     rounds, alternating which server goes first    [5]
#   TESTS      throughput tests: redis-benchmark -t names, plus zrange_100
#              (ZRANGE 0 99 of a 100-member zset), set_1mb, get_1mb
#              [ping_inline,ping_mbulk,set,get,incr,lpush,lpop,sadd,hset,zadd,
#               lrange_100,mset,zrange_100,set_1mb,get_1mb]
#   PIPELINES  pipeline depths (-P)                           ["1 16"]
#   N          requests per test at -P 1                      [20000]
#   NP         requests per test at -P > 1                    [5*N]
#   NBIG       requests per 1 MB test at -P 1                 [200]
#   NBIGP      requests per 1 MB test at -P > 1               [CLIENTS*16]
#   CLIENTS    parallel connections (-c)                      [50]
#   FANOUT_ARGS  extra fanout flags (see fanout.c)            []
#   STARTSTOP_ROUNDS  start/stop rounds per mode              [1000]
#   MEMKEYS    string keys for the memory part; hashes, sets, lists and
#              zsets get MEMKEYS/10 keys of 10 elements each  [1000000]
#   MEMZSET    members of the big sorted set                  [1000000]
#   CONNS      idle connections                               [10000]
#   CONNWAIT   ms to wait before the idle reading             [3000]
#   SCALE_ARGS extra scale flags (see scale.c), e.g. "-l 100000"  []
#   XGROUP_N   entries the consumer-group run reads          [100000]
#   MEMSTREAM  entries of the stream whose RSS is measured     [1000000]
#   REDIS      redis-server binary                            [redis-server]
#   JOURNAL_TESTS  redis-benchmark tests of the journal part   [ping_mbulk,set,get,incr,lpush]
#   JOURNAL_NP     requests per journal test at -P > 1         [500000]
#   FIXTURE_ROUNDS tests per fixture kind                      [300]
#   TOPO_ROUNDS    starts per topology (topology part)         [30]
#   SCRIPTS    scripts SCRIPT LOADed for the memory figure     [10000]
set -euo pipefail

ALL_PARTS="throughput pubsub startstop topology memory conns scale streams journal fixture scripting"
is_part() { case " $ALL_PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

BUILD=./build
if [ $# -gt 0 ] && ! is_part "$1"; then
    BUILD=$1
    shift
fi
PARTS=${*:-${PARTS:-$ALL_PARTS}}
for p in $PARTS; do
    is_part "$p" || { echo "bench: unknown part '$p' (parts: $ALL_PARTS)" >&2; exit 2; }
done
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

ROUNDS=${ROUNDS:-5}
TESTS=${TESTS:-ping_inline,ping_mbulk,set,get,incr,lpush,lpop,sadd,hset,zadd,lrange_100,mset,zrange_100,set_1mb,get_1mb}
PIPELINES=${PIPELINES:-"1 16"}
N=${N:-20000}
NP=${NP:-$((N * 5))}
CLIENTS=${CLIENTS:-50}
NBIG=${NBIG:-200}
NBIGP=${NBIGP:-$((CLIENTS * 16))}
STARTSTOP_ROUNDS=${STARTSTOP_ROUNDS:-1000}
MEMKEYS=${MEMKEYS:-1000000}
MEMZSET=${MEMZSET:-1000000}
CONNS=${CONNS:-10000}
CONNWAIT=${CONNWAIT:-3000}
XGROUP_N=${XGROUP_N:-100000}
MEMSTREAM=${MEMSTREAM:-1000000}
REDIS=${REDIS:-redis-server}
JOURNAL_TESTS=${JOURNAL_TESTS:-ping_mbulk,set,get,incr,lpush}
FIXTURE_ROUNDS=${FIXTURE_ROUNDS:-300}
TOPO_ROUNDS=${TOPO_ROUNDS:-30}
FAKE=$BUILD/fake/fakeredis-server
BENCHBIN=$BUILD/tests/bench

die() { echo "bench: $*" >&2; exit 1; }
command -v "$REDIS" >/dev/null || die "$REDIS not found"
command -v redis-benchmark >/dev/null || die "redis-benchmark not found"
command -v redis-cli >/dev/null || die "redis-cli not found"
[ -x "$FAKE" ] || die "$FAKE not found (build first, or pass the build dir)"
[ "$ROUNDS" -ge 1 ] 2>/dev/null || die "ROUNDS must be a positive number"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/fr-bench-XXXXXX")
REDIS_PID='' FAKE_PID=''
stop_servers() {
    local p
    for p in $REDIS_PID $FAKE_PID; do kill "$p" 2>/dev/null || true; done
    for p in $REDIS_PID $FAKE_PID; do wait "$p" 2>/dev/null || true; done
    REDIS_PID='' FAKE_PID=''
}
cleanup() {
    stop_servers
    rm -rf "$WORK"
}
trap cleanup EXIT
# a signal ends the script through cleanup, servers included
trap 'exit 130' INT TERM HUP PIPE

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
    local port
    for _ in 1 2 3 4 5; do
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

start_fake() { # [extra fakeredis-server arguments]
    rm -f "$WORK/fake.port"
    "$FAKE" --port 0 --port-file "$WORK/fake.port" "$@" >/dev/null &
    FAKE_PID=$!
    wait_for grep -q '^[0-9]' "$WORK/fake.port" || die "$FAKE wrote no port file"
    FAKE_PORT=$(head -c 16 "$WORK/fake.port" | tr -dc 0-9)
    wait_for redis-cli -p "$FAKE_PORT" ping || die "$FAKE does not answer PING"
}

start_servers() { # [extra arguments for both]
    start_redis "$@"
    start_fake "$@"
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0;
    else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

need_bin() { # name: the path of a benchmark program, or a message and 1
    if [ -x "$BENCHBIN/$1" ]; then echo "$BENCHBIN/$1"; return 0; fi
    echo "($BENCHBIN/$1 not built: skipped)" >&2
    return 1
}

PART_T0=0
part_begin() { PART_T0=$SECONDS; echo; echo "== $1 =="; }
part_end() { echo "($1: $((SECONDS - PART_T0)) s)"; }

# ---------------------------------------------------------------- throughput
# Split TESTS: redis-benchmark's own tests in one -t list; the others run as
# commands (zrange_100) or with -d 1000000 (set_1mb, get_1mb).
BUILTIN_TESTS='' WANT_ZRANGE=0 BIG_TESTS=''
for t in ${TESTS//,/ }; do
    case $t in
    zrange_100) WANT_ZRANGE=1 ;;
    set_1mb | get_1mb) BIG_TESTS="$BIG_TESTS ${t%_1mb}" ;;
    *) BUILTIN_TESTS="$BUILTIN_TESTS,$t" ;;
    esac
done
BUILTIN_TESTS=${BUILTIN_TESTS#,}
ZRANGE_KEY=fr:bench:zset100

# redis-benchmark --csv rows are "TEST","rps",...; a test name may hold
# spaces ("MSET (10 keys)"): the first word names it, or `name` when given
# (a custom command's row is named by its whole text). Appends
# "round server pipeline TEST rps" lines to $WORK/results.
rb_csv() { # round server pipeline name suffix skip-regex -- redis-benchmark args
    local round=$1 server=$2 p=$3 name=$4 suffix=$5 skip=$6
    shift 7
    redis-benchmark -q --csv "$@" 2>/dev/null |
        awk -F'"' -v OFS='\t' -v r="$round" -v s="$server" -v p="$p" -v name="$name" \
            -v x="$suffix" -v skip="$skip" \
            'NR > 1 && $2 !~ /needed to benchmark/ && (skip == "" || $2 !~ skip) {
                split($2, w, " "); print r, s, p, (name != "" ? name : w[1]) x, $4 }' \
            >>"$WORK/results" ||
        echo "bench: redis-benchmark failed against $server (-P $p)" >&2
}

bench() { # round server port pipeline
    local round=$1 s=$2 port=$3 p=$4 n=$N nbig=$NBIG
    if [ "$p" -gt 1 ]; then n=$NP nbig=$NBIGP; fi
    local common=(-h 127.0.0.1 -p "$port" -c "$CLIENTS" -P "$p")
    if [ -n "$BUILTIN_TESTS" ]; then
        rb_csv "$round" "$s" "$p" "" "" "" -- "${common[@]}" -n "$n" -t "$BUILTIN_TESTS"
    fi
    if [ "$WANT_ZRANGE" = 1 ]; then
        rb_csv "$round" "$s" "$p" ZRANGE_100 "" "" -- "${common[@]}" -n "$n" ZRANGE "$ZRANGE_KEY" 0 99
    fi
    if [ -n "$BIG_TESTS" ]; then
        # GET reads what SET wrote: SET always runs, its row kept if asked
        local skip=
        case " $BIG_TESTS " in *" set "*) ;; *) skip='^SET$' ;; esac
        rb_csv "$round" "$s" "$p" "" _1MB "$skip" -- "${common[@]}" -n "$nbig" -d 1000000 \
            -t "$(echo "$BIG_TESTS" | sed 's/^ //; s/ /,/g; s/^get$/set,get/')"
    fi
}

# The zset ZRANGE_100 reads: members m:0..m:99 with scores 0..99.
load_zrange_key() { # port
    local args=() i
    for ((i = 0; i < 100; i++)); do args+=("$i" "m:$i"); done
    redis-cli -p "$1" zadd "$ZRANGE_KEY" "${args[@]}" >/dev/null || die "ZADD failed on port $1"
}

# "round rps" lines of one server, pipeline depth and test.
sel_rounds() { # server pipeline test
    awk -F'\t' -v s="$1" -v p="$2" -v t="$3" '$2 == s && $3 == p && $4 == t { print $1, $5 }' \
        "$WORK/results"
}

part_throughput() {
    part_begin "throughput: redis-benchmark -c $CLIENTS, requests/s"
    echo "tests=$TESTS pipelines=\"$PIPELINES\" rounds=$ROUNDS n=$N np=$NP nbig=$NBIG nbigp=$NBIGP"
    start_servers
    if [ "$WANT_ZRANGE" = 1 ]; then
        load_zrange_key "$REDIS_PORT"
        load_zrange_key "$FAKE_PORT"
    fi
    : >"$WORK/results"
    local round p t0
    for ((round = 1; round <= ROUNDS; round++)); do
        t0=$SECONDS
        for p in $PIPELINES; do
            # alternate who goes first, so drift (thermal, caches) hits both
            if ((round % 2)); then
                bench "$round" redis "$REDIS_PORT" "$p"; bench "$round" fake "$FAKE_PORT" "$p"
            else
                bench "$round" fake "$FAKE_PORT" "$p"; bench "$round" redis "$REDIS_PORT" "$p"
            fi
        done
        echo "bench: throughput round $round/$ROUNDS done ($((SECONDS - t0)) s)" >&2
    done
    stop_servers
    echo "median of $ROUNDS rounds; ratio: median of per-round fake/redis (> 1: the fake is faster)"
    printf '%-16s %8s %14s %14s %10s\n' test pipeline "redis rps" "fake rps" fake/redis
    # rows in pipeline order, tests in the order they ran
    local t r f ratio
    cut -f3,4 "$WORK/results" | awk '!seen[$0]++' | sort -t$'\t' -s -k1,1n |
    while IFS=$'\t' read -r p t; do
        r=$(sel_rounds redis "$p" "$t" | cut -d' ' -f2 | median)
        f=$(sel_rounds fake "$p" "$t" | cut -d' ' -f2 | median)
        # per-round ratios: join the two servers' rows on the round
        ratio=$(join <(sel_rounds redis "$p" "$t" | sort -k1,1) \
                     <(sel_rounds fake "$p" "$t" | sort -k1,1) |
            awk '$2 > 0 { print $3 / $2 }' | median)
        printf '%-16s %8s %14.0f %14.0f %10.2f\n' "$t" "$p" "$r" "$f" "$ratio"
    done
    part_end throughput
}

# ------------------------------------------------------------------- journal
# Two fakes, one with the journal (the default) and one without; the same
# redis-benchmark test runs against both, alternating who goes first. Two
# ratios per test: throughput (on/off) and the server's CPU time per
# request (off/on, from /proc: steadier than throughput on a shared box).
# Both >= 0.95 means the journal costs under 5%.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

part_journal() {
    part_begin "journal: the fake with its journal vs without"
    local np=${JOURNAL_NP:-500000}
    echo "tests=$JOURNAL_TESTS pipelines=\"$PIPELINES\" rounds=$ROUNDS n=$N np=$np clients=$CLIENTS"
    start_fake --journal-size 0
    local off_port=$FAKE_PORT off_pid=$FAKE_PID
    REDIS_PID=$FAKE_PID # so stop_servers stops both
    start_fake
    local on_port=$FAKE_PORT on_pid=$FAKE_PID
    : >"$WORK/results"
    : >"$WORK/cpu"
    local round p n t side port pid c0 c1
    for ((round = 1; round <= ROUNDS; round++)); do
        for p in $PIPELINES; do
            n=$N
            [ "$p" -gt 1 ] && n=$np
            for t in ${JOURNAL_TESTS//,/ }; do
                local order="off on"
                ((round % 2)) || order="on off"
                for side in $order; do
                    if [ "$side" = on ]; then port=$on_port pid=$on_pid; else port=$off_port pid=$off_pid; fi
                    c0=$(cpu_ticks "$pid")
                    rb_csv "$round" "$side" "$p" "" "" "" -- -h 127.0.0.1 -p "$port" -c "$CLIENTS" \
                        -P "$p" -n "$n" -t "$t"
                    c1=$(cpu_ticks "$pid")
                    printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$side" "$p" "$t" \
                        "$(awk -v c=$((c1 - c0)) -v n="$n" 'BEGIN { printf "%.9f", c / 100 / n }')" \
                        >>"$WORK/cpu"
                done
            done
        done
        echo "bench: journal round $round/$ROUNDS done" >&2
    done
    stop_servers
    echo "median of $ROUNDS rounds; ratios: medians of per-round on/off for requests/s and"
    echo "off/on for the server's CPU time per request (both >= 0.95: under 5%)"
    printf '%-12s %4s %12s %12s %8s %10s %10s %8s\n' test -P "rps off" "rps on" rps \
        "cpu us off" "cpu us on" cpu
    local o j ratio co cj cratio
    cut -f3,4 "$WORK/results" | awk '!seen[$0]++' | sort -t$'\t' -s -k1,1n |
    while IFS=$'\t' read -r p t; do
        o=$(sel_rounds off "$p" "$t" | cut -d' ' -f2 | median)
        j=$(sel_rounds on "$p" "$t" | cut -d' ' -f2 | median)
        ratio=$(join <(sel_rounds off "$p" "$t" | sort -k1,1) \
                     <(sel_rounds on "$p" "$t" | sort -k1,1) |
            awk '$2 > 0 { print $3 / $2 }' | median)
        # the CPU rows are named by -t (lower case), the results by redis-benchmark
        local tl
        tl=$(echo "$t" | tr 'A-Z' 'a-z')
        co=$(awk -F'\t' -v p="$p" -v t="$tl" '$2 == "off" && $3 == p && $4 == t { print $5 * 1e6 }' "$WORK/cpu" | median)
        cj=$(awk -F'\t' -v p="$p" -v t="$tl" '$2 == "on" && $3 == p && $4 == t { print $5 * 1e6 }' "$WORK/cpu" | median)
        cratio=$(join <(awk -F'\t' -v p="$p" -v t="$tl" '$2 == "off" && $3 == p && $4 == t { print $1, $5 }' "$WORK/cpu" | sort -k1,1) \
                      <(awk -F'\t' -v p="$p" -v t="$tl" '$2 == "on" && $3 == p && $4 == t { print $1, $5 }' "$WORK/cpu" | sort -k1,1) |
            awk '$3 > 0 { print $2 / $3 }' | median)
        printf '%-12s %4s %12.0f %12.0f %8.3f %10.3f %10.3f %8.3f\n' "$t" "$p" "$o" "$j" "$ratio" \
            "$co" "$cj" "$cratio"
    done
    part_end journal
}

# ------------------------------------------------------------------- fixture
# a part that is one of the programs alone: PART TITLE PROGRAM ROUNDS
program_part() {
    part_begin "$2"
    local bin
    bin=$(need_bin "$3") || return 0
    "$bin" "$4" 2>/dev/null || echo "bench: $3 failed" >&2
    part_end "$1"
}

part_fixture() { program_part fixture "the harness' fixture inside cmocka" fixture "$FIXTURE_ROUNDS"; }

# ------------------------------------------------------------------ topology
# what a test pays for a topology: a master + 2 replicas (with and without
# a Sentinel), a 3-master cluster, 3 masters + 3 replicas (topostart.c)
part_topology() { program_part topology "start/stop of topologies" topostart "$TOPO_ROUNDS"; }

# -------------------------------------------------------------------- pubsub
part_pubsub() {
    part_begin "pub/sub"
    local fanout
    fanout=$(need_bin fanout) || return 0
    start_servers
    # shellcheck disable=SC2086
    "$fanout" -r "$REDIS_PORT" -f "$FAKE_PORT" -R "$ROUNDS" ${FANOUT_ARGS:-} ||
        echo "bench: fanout failed" >&2
    stop_servers
    part_end pubsub
}

# ----------------------------------------------------------------- startstop
part_startstop() {
    part_begin "start/stop of an in-process fake"
    local startstop
    startstop=$(need_bin startstop) || return 0
    "$startstop" "$STARTSTOP_ROUNDS" || echo "bench: startstop failed" >&2
    part_end startstop
}

# -------------------------------------------------------------------- memory
# RESP for redis-cli --pipe, generated by awk: KEYS keys of one type.
gen() { # kind keys elements
    LC_ALL=C awk -v kind="$1" -v n="$2" -v e="$3" '
    function arg(s) { printf "$%d\r\n%s\r\n", length(s), s }
    BEGIN {
        if (kind == "bigzset") {
            for (i = 0; i < n; i += 1000) {
                c = n - i < 1000 ? n - i : 1000
                printf "*%d\r\n", 2 + 2 * c; arg("ZADD"); arg("bigzset")
                for (j = i; j < i + c; j++) { arg(j); arg("member:" j) }
            }
            exit
        }
        for (i = 0; i < n; i++) {
            if (kind == "string") { printf "*3\r\n"; arg("SET"); arg("key:" i); arg("value:" i); continue }
            if (kind == "stream") { printf "*5\r\n"; arg("XADD"); arg("bigstream"); arg(i + 1 "-1"); arg("field"); arg("value:" i); continue }
            per = kind == "hash" || kind == "zset" ? 2 : 1
            printf "*%d\r\n", 2 + per * e
            if (kind == "hash") { arg("HSET"); arg("hash:" i) }
            if (kind == "set") { arg("SADD"); arg("set:" i) }
            if (kind == "list") { arg("RPUSH"); arg("list:" i) }
            if (kind == "zset") { arg("ZADD"); arg("zset:" i) }
            for (j = 0; j < e; j++) {
                if (kind == "hash") { arg("field:" j); arg("value:" i ":" j) }
                if (kind == "set") arg("member:" i ":" j)
                if (kind == "list") arg("value:" i ":" j)
                if (kind == "zset") { arg(j); arg("member:" i ":" j) }
            }
        }
    }'
}

load_pipe() { # port file
    local out
    out=$(redis-cli -p "$1" --pipe <"$2" 2>&1) || die "redis-cli --pipe failed on port $1: $out"
    echo "$out" | grep -q "errors: 0," || die "loading on port $1: $(echo "$out" | tail -1)"
}

# One line of the memory table: fresh servers, RSS before and after; then
# the same load into a fake started with --journal-size 0. The command
# journal is a ring of the last 4096 commands (default) holding their
# arguments: a fixed cost of up to a few MB once full of batch commands
# (about 1 MB of 10-member ZADDs), which the per-key figure of the fake
# with its journal carries in. The last column is the data alone.
mem_row() { # label kind keys elements units unit-name
    local label=$1 kind=$2 keys=$3 e=$4 units=$5 r0 f0 r1 f1 j0 j1
    gen "$kind" "$keys" "$e" >"$WORK/load.resp"
    start_servers
    r0=$(rss_kb "$REDIS_PID") f0=$(rss_kb "$FAKE_PID")
    load_pipe "$REDIS_PORT" "$WORK/load.resp"
    load_pipe "$FAKE_PORT" "$WORK/load.resp"
    local want=$keys got s
    [ "$kind" = bigzset ] || [ "$kind" = stream ] && want=1
    for s in "$REDIS_PORT" "$FAKE_PORT"; do
        got=$(redis-cli -p "$s" dbsize)
        [ "$got" = "$want" ] || die "$label: the server on port $s holds $got keys, not $want"
    done
    r1=$(rss_kb "$REDIS_PID") f1=$(rss_kb "$FAKE_PID")
    stop_servers
    start_fake --journal-size 0
    j0=$(rss_kb "$FAKE_PID")
    load_pipe "$FAKE_PORT" "$WORK/load.resp"
    got=$(redis-cli -p "$FAKE_PORT" dbsize)
    [ "$got" = "$want" ] || die "$label: the fake without journal holds $got keys, not $want"
    j1=$(rss_kb "$FAKE_PID")
    stop_servers
    rm -f "$WORK/load.resp"
    awk -v l="$label" -v k="$units" -v u="$6" -v r0="$r0" -v r1="$r1" -v f0="$f0" -v f1="$f1" \
        -v j0="$j0" -v j1="$j1" 'BEGIN {
        r = (r1 - r0) * 1024 / k; f = (f1 - f0) * 1024 / k; j = (j1 - j0) * 1024 / k
        printf "%-36s %9d %-7s %10.1f %10.1f %10.2f %10.1f %10.2f\n", l, k, u, r, f,
            (f > 0 ? r / f : 0), j, (j > 0 ? r / j : 0) }'
}

part_memory() {
    part_begin "memory: RSS growth per key (per member for the big zset), in bytes"
    local ck=$((MEMKEYS / 10))
    echo "fresh servers per row, measured once (RSS does not depend on the machine's load);"
    echo "ratio: redis/fake (> 1: the fake holds less); 'no journal': the fake with --journal-size 0"
    printf '%-36s %9s %-7s %10s %10s %10s %10s %10s\n' data count per redis fake redis/fake \
        "no journal" redis/nj
    [ "$MEMKEYS" -gt 0 ] && mem_row "strings, SET key:N value:N" string "$MEMKEYS" 0 "$MEMKEYS" key
    if [ "$ck" -gt 0 ]; then
        mem_row "hashes, 10 fields of ~9 B" hash "$ck" 10 "$ck" key
        mem_row "sets, 10 members of ~12 B" set "$ck" 10 "$ck" key
        mem_row "lists, 10 elements of ~11 B" list "$ck" 10 "$ck" key
        mem_row "sorted sets, 10 members of ~12 B" zset "$ck" 10 "$ck" key
    fi
    [ "$MEMZSET" -gt 0 ] && mem_row "1 sorted set, member:N, score N" bigzset "$MEMZSET" 0 "$MEMZSET" member
    part_end memory
}

# --------------------------------------------------------------------- conns
part_conns() {
    part_begin "idle connections"
    local idle need hard
    idle=$(need_bin idleconns) || return 0
    # each server holds CONNS sockets, and so does idleconns
    need=$((CONNS + 100))
    hard=$(ulimit -Hn)
    if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
        echo "skipped: $CONNS connections need $need descriptors, the hard limit is $hard"
        echo "(CONNS=$((hard - 100)) fits)"
        return 0
    fi
    [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ] && ulimit -n "$need"
    start_servers --maxclients "$((CONNS + 32))"
    "$idle" -n "$CONNS" -w "$CONNWAIT" "redis:$REDIS_PORT:$REDIS_PID" "fake:$FAKE_PORT:$FAKE_PID" ||
        echo "bench: idleconns failed" >&2
    stop_servers
    part_end conns
}

# --------------------------------------------------------------------- scale
part_scale() {
    part_begin "scaling"
    local scale
    scale=$(need_bin scale) || return 0
    start_servers
    # shellcheck disable=SC2086
    "$scale" -r "$REDIS_PORT" -f "$FAKE_PORT" -R "$ROUNDS" ${SCALE_ARGS:-} ||
        echo "bench: scale failed" >&2
    stop_servers
    part_end scale
}

# ------------------------------------------------------------------- streams
# XADD and XRANGE of 10 entries through redis-benchmark at -P 16, the
# consumer-group loop (xgroup), and RSS per entry of one big stream.
part_streams() {
    part_begin "streams"
    local round t0 p=16 n=$NP
    echo "rounds=$ROUNDS n=$n -c $CLIENTS -P $p; xgroup: $XGROUP_N entries, 10 per read, -P 16"
    start_servers
    local s port i
    for port in "$REDIS_PORT" "$FAKE_PORT"; do
        for ((i = 1; i <= 10; i++)); do
            redis-cli -p "$port" xadd fr:bench:x10 "$i-1" field "value:$i" >/dev/null
        done
    done
    : >"$WORK/results"
    for ((round = 1; round <= ROUNDS; round++)); do
        t0=$SECONDS
        for s in redis fake; do
            ((round % 2)) || s=$([ "$s" = redis ] && echo fake || echo redis)
            port=$REDIS_PORT
            [ "$s" = fake ] && port=$FAKE_PORT
            local common=(-h 127.0.0.1 -p "$port" -c "$CLIENTS" -P "$p" -n "$n")
            redis-cli -p "$port" del fr:bench:xadd >/dev/null
            rb_csv "$round" "$s" "$p" XADD "" "" -- "${common[@]}" XADD fr:bench:xadd '*' field value
            rb_csv "$round" "$s" "$p" XRANGE_10 "" "" -- "${common[@]}" XRANGE fr:bench:x10 - +
        done
        echo "bench: streams round $round/$ROUNDS done ($((SECONDS - t0)) s)" >&2
    done
    printf '%-32s %12s %12s %10s\n' test redis fake ratio
    local t r f ratio
    for t in XADD XRANGE_10; do
        r=$(sel_rounds redis "$p" "$t" | cut -d' ' -f2 | median)
        f=$(sel_rounds fake "$p" "$t" | cut -d' ' -f2 | median)
        ratio=$(join <(sel_rounds redis "$p" "$t" | sort -k1,1) \
                     <(sel_rounds fake "$p" "$t" | sort -k1,1) |
            awk '$2 > 0 { print $3 / $2 }' | median)
        printf '%-32s %12.0f %12.0f %10.2f\n' "$t rps (-P $p)" "$r" "$f" "$ratio"
    done
    local xgroup
    if xgroup=$(need_bin xgroup); then
        "$xgroup" -r "$REDIS_PORT" -f "$FAKE_PORT" -R "$ROUNDS" -n "$XGROUP_N" -P 16 ||
            echo "bench: xgroup failed" >&2
    fi
    stop_servers
    if [ "$MEMSTREAM" -gt 0 ]; then
        echo "RSS growth per entry, redis/fake (> 1: the fake holds less):"
        mem_row "1 stream, XADD N-1 field value:N" stream "$MEMSTREAM" 0 "$MEMSTREAM" entry
    fi
    part_end streams
}

# ----------------------------------------------------------------- scripting
# EVALSHA of one small cached script, both servers, alternating who goes
# first; then the RSS growth of SCRIPTS distinct cached scripts.
SCRIPTS=${SCRIPTS:-10000}
INCR_LUA="return redis.call('INCR', KEYS[1])"
part_scripting() {
    part_begin "scripting: EVALSHA of $INCR_LUA, -c $CLIENTS, requests/s"
    start_servers
    local sha port round t0 p s
    for port in "$REDIS_PORT" "$FAKE_PORT"; do
        sha=$(redis-cli -p "$port" script load "$INCR_LUA") || die "SCRIPT LOAD failed on $port"
    done
    : >"$WORK/results"
    for ((round = 1; round <= ROUNDS; round++)); do
        t0=$SECONDS
        for p in $PIPELINES; do
            local n=$N
            [ "$p" -gt 1 ] && n=$NP
            for s in redis fake; do
                ((round % 2)) || s=$([ "$s" = redis ] && echo fake || echo redis)
                port=$REDIS_PORT
                [ "$s" = fake ] && port=$FAKE_PORT
                rb_csv "$round" "$s" "$p" EVALSHA_INCR "" "" -- -h 127.0.0.1 -p "$port" \
                    -c "$CLIENTS" -P "$p" -n "$n" EVALSHA "$sha" 1 fr:bench:counter
            done
        done
        echo "bench: scripting round $round/$ROUNDS done ($((SECONDS - t0)) s)" >&2
    done
    printf '%-32s %12s %12s %10s\n' test redis fake fake/redis
    local r f ratio
    for p in $PIPELINES; do
        r=$(sel_rounds redis "$p" EVALSHA_INCR | cut -d' ' -f2 | median)
        f=$(sel_rounds fake "$p" EVALSHA_INCR | cut -d' ' -f2 | median)
        ratio=$(join <(sel_rounds redis "$p" EVALSHA_INCR | sort -k1,1) \
                     <(sel_rounds fake "$p" EVALSHA_INCR | sort -k1,1) |
            awk '$2 > 0 { print $3 / $2 }' | median)
        printf '%-32s %12.0f %12.0f %10.2f\n' "EVALSHA incr rps (-P $p)" "$r" "$f" "$ratio"
    done
    # memory: SCRIPTS distinct scripts of the same size, loaded through one pipe
    local r0 f0 r1 f1 i
    r0=$(rss_kb "$REDIS_PID") f0=$(rss_kb "$FAKE_PID")
    for port in "$REDIS_PORT" "$FAKE_PORT"; do
        for ((i = 0; i < SCRIPTS; i++)); do
            printf 'SCRIPT LOAD "return redis.call(\x27INCR\x27, KEYS[1]) + %08d"\n' "$i"
        done | redis-cli -p "$port" >/dev/null
    done
    r1=$(rss_kb "$REDIS_PID") f1=$(rss_kb "$FAKE_PID")
    awk -v r=$((r1 - r0)) -v f=$((f1 - f0)) -v n="$SCRIPTS" 'BEGIN {
        printf "%-32s %12.0f %12.0f %10.2f\n", "RSS bytes per cached script", r * 1024 / n,
            f * 1024 / n, (f > 0 ? r / f : 0) }'
    stop_servers
    part_end scripting
}

echo "redis-server $("$REDIS" --version | sed 's/.*v=\([^ ]*\).*/\1/') against $FAKE;" \
     "parts: $PARTS; rounds: $ROUNDS"
echo "every ratio: > 1 means the fake is better (throughput fake/redis, cost redis/fake)"
T0=$SECONDS
for p in $ALL_PARTS; do
    want "$p" && "part_$p"
done
echo
echo "(total: $((SECONDS - T0)) s)"
