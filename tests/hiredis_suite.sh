#!/usr/bin/env bash
# hiredis' own test program (test.c of hiredis 1.2.0, built from the source
# archive in ../shared/deps beside the checkout, never copied into this
# repository) against a fakeredis-server: TCP, a unix socket, the
# inherited-fd test and the libevent async tests (MONITOR, pub/sub in
# RESP2 and RESP3, DEBUG SLEEP timeouts, CLIENT TRACKING pushes).
#   tests/hiredis_suite.sh FAKEREDIS_SERVER WORKDIR
# Exit 77 (skipped) when the archive or make is missing.
set -euo pipefail
server=$(realpath "$1")
mkdir -p "$2"
work=$(realpath "$2")
here=$(cd "$(dirname "$0")/.." && pwd)
deps=${FR_DEPS_DIR:-$here/../shared/deps}
archive=$deps/hiredis-1.2.0.tar.gz
if [ ! -f "$archive" ] || ! command -v make >/dev/null; then
  echo "hiredis_suite: $archive or make not found: skipped"
  exit 77
fi
src=$work/hiredis-1.2.0
# built once per build tree, with the async tests (they need libevent,
# which the fake needs too)
if [ ! -x "$src/hiredis-test" ]; then
  rm -rf "$src"
  mkdir -p "$src"
  tar -xzf "$archive" -C "$src" --strip-components=1
  make -C "$src" -j2 hiredis-test TEST_ASYNC=1 >"$work/make.log" 2>&1 ||
    { cat "$work/make.log"; exit 1; }
fi
run=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$run"
}
trap cleanup EXIT
"$server" --port 0 --port-file "$run/port" --bind 127.0.0.1 --unixsocket "$run/sock" \
  >"$run/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  [ -s "$run/port" ] && [ -S "$run/sock" ] && break
  sleep 0.05
done
[ -s "$run/port" ] || { echo "hiredis_suite: the fake did not start"; cat "$run/server.log"; exit 1; }
# hiredis-test exits 0 only when every test passed; --skips-as-fails makes
# a skipped part (no unix socket, say) a failure too
cd "$run"
rc=0
"$src/hiredis-test" -h 127.0.0.1 -p "$(cat "$run/port")" -s "$run/sock" --skips-as-fails || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "hiredis_suite: hiredis-test failed ($rc); the fake's output:"
  cat "$run/server.log"
  kill -0 "$pid" 2>/dev/null || echo "hiredis_suite: the fake is gone"
fi
exit "$rc"
