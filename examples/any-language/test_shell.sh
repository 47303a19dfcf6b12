#!/usr/bin/env bash
# A test in shell: fakeredis-server steered over the wire with redis-cli.
# Faults (FAKE.FAULT), the clock (FAKE.CLOCK), the journal (FAKE.JOURNAL),
# a restart (FAKE.RESTART). Any language that can speak to Redis can do
# the same; see test_python.py.
#
# usage: test_shell.sh [path/to/fakeredis-server]
set -euo pipefail
srv=${1:-fakeredis-server}
work=$(mktemp -d "${TMPDIR:-/tmp}/fr-any-XXXXXX")
# --daemonize returns once it listens, printing the port
port=$("$srv" --port 0 --daemonize --pidfile "$work/pid")
cleanup() { kill "$(cat "$work/pid")" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cli() { redis-cli -p "$port" "$@"; }
passed=0 failed=0
check() { # name expected actual
    if [ "$2" == "$3" ]; then
        passed=$((passed + 1))
    else
        echo "FAIL $1: expected '$2', got '$3'"
        failed=$((failed + 1))
    fi
}

# a fault: the next GET answers -LOADING, the one after it is served
cli FAKE.FAULT ADD "cmd=GET once action=error err=loading" >/dev/null
check "fault" "LOADING Redis is loading the dataset in memory" "$(cli GET user:1 2>&1)"
check "after the fault" "" "$(cli GET user:1)"

# the journal: both GETs arrived, the first one got an error
check "journal count" "2" "$(cli FAKE.JOURNAL COUNT MATCH 'GET user:*')"
check "journal print" "1" "$(cli FAKE.JOURNAL PRINT MATCH GET | grep -c -- '-> -LOADING')"

# the clock: frozen, a TTL never runs out until the test moves it
cli FAKE.CLOCK FREEZE >/dev/null
cli SET session:1 alice PX 60000 >/dev/null
cli FAKE.CLOCK ADVANCE 59000 >/dev/null
check "not yet expired" "1" "$(cli EXISTS session:1)"
cli FAKE.CLOCK ADVANCE 1000 >/dev/null
check "expired" "0" "$(cli EXISTS session:1)"

# a restart: down 300 ms (connects refused), back on the same port with
# the data kept
cli SET kept yes >/dev/null
mark=$(cli FAKE.JOURNAL MARK)
cli FAKE.RESTART 300 >/dev/null
refused=0
for _ in $(seq 1 200); do
    if cli PING >/dev/null 2>&1; then break; fi
    refused=$((refused + 1))
    sleep 0.01
done
check "refused while down" "yes" "$([ "$refused" -gt 0 ] && echo yes || echo no)"
check "back with the data" "yes" "$(cli GET kept)"
check "down and up in the journal" "2" \
    "$(cli FAKE.JOURNAL GET SINCE "$mark" ALL | grep -c -x 'listen-o[nf]f*')"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
