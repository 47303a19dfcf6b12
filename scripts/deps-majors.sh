#!/usr/bin/env bash
# Build the other major versions of the test dependencies into a prefix:
# cmocka 2.0.2 and hiredis 1.2.0 (Debian ships cmocka 1.1.7 and hiredis
# 0.14.1), from the source archives in ../shared/deps beside the checkout.
# Prints the prefix. Safe to run again: a built prefix is kept.
#   scripts/deps-majors.sh [PREFIX]     default: build-majors/prefix
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(realpath -m "${1:-build-majors/prefix}")
deps=${FR_DEPS_DIR:-../shared/deps}
if [ -f "$prefix/.done" ]; then
  echo "$prefix"
  exit 0
fi
for a in cmocka-2.0.2.tar.gz hiredis-1.2.0.tar.gz; do
  [ -f "$deps/$a" ] || { echo "deps-majors: $deps/$a not found" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for a in cmocka-2.0.2 hiredis-1.2.0; do
  mkdir -p "$work/$a"
  tar -xzf "$deps/$a.tar.gz" -C "$work/$a" --strip-components=1
done
cmake -S "$work/cmocka-2.0.2" -B "$work/cmocka-build" -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_BUILD_TYPE=Release -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF >/dev/null
cmake --build "$work/cmocka-build" -j "$(nproc)" >/dev/null
cmake --install "$work/cmocka-build" >/dev/null
cmake -S "$work/hiredis-1.2.0" -B "$work/hiredis-build" -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_BUILD_TYPE=Release -DDISABLE_TESTS=ON >/dev/null
cmake --build "$work/hiredis-build" -j "$(nproc)" >/dev/null
cmake --install "$work/hiredis-build" >/dev/null
touch "$prefix/.done"
echo "$prefix"
