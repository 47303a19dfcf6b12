#!/bin/bash
# fakeredis-server --cluster 2 --cluster-replicas 1 with a fault rule on
# node 1 only (--node-fault) and node 0 recorded (--node-record): the port
# file lists 4 nodes, nodes 2 and 3 are replicas, node 1 alone answers its
# fault, node 0's recording is written; a bad node index is refused.
# usage: cluster_cli.sh FAKEREDIS-SERVER   (exit 77: no redis-cli)
set -u
command -v redis-cli >/dev/null || exit 77
tmp=$(mktemp -d)
fail() { echo "cluster_cli: $*"; exit 1; }
if "$1" --port 0 --cluster 2 --node-fault '9:cmd=GET action=close' 2>"$tmp/err"; then
    fail "a fault rule on node 9 of 2 was accepted"
fi
grep -q "bad --node-fault '9:" "$tmp/err" || fail "no message for node 9: $(cat "$tmp/err")"
# shellcheck source=tests/clients/fakeserver.sh
. "$(dirname "$0")/fakeserver.sh"
trap 'kill $FAKE_PID 2>/dev/null; wait $FAKE_PID 2>/dev/null; rm -rf "$tmp"' EXIT
fake_start "$1" "$tmp/ports" --cluster 2 --cluster-replicas 1 \
    --node-fault '1:cmd=GET action=error err=loading' --node-record "0:$tmp/rec" ||
    fail "no port file"
mapfile -t ports <"$tmp/ports"
[ "${#ports[@]}" = 4 ] || fail "expected 4 ports, got ${ports[*]}"
[ "$(redis-cli -p "${ports[2]}" ROLE | head -1)" = slave ] || fail "node 2 is not a replica"
[ "$(redis-cli -p "${ports[3]}" ROLE | sed -n 3p)" = "${ports[1]}" ] || fail "node 3 follows node 1"
out=$(redis-cli -p "${ports[1]}" GET c)
[ "$out" = "LOADING Redis is loading the dataset in memory" ] || fail "node 1: $out"
out=$(redis-cli -p "${ports[0]}" GET b)
[ -z "$out" ] || fail "node 0 faulted too: $out"
kill $FAKE_PID
wait $FAKE_PID || fail "fakeredis-server exited with $?"
[ -s "$tmp/rec" ] || fail "node 0's recording is empty"
echo "cluster_cli: ok"
