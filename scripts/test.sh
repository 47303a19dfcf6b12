#!/usr/bin/env bash
# Install what is missing, build, and run the whole test suite: unit,
# integration (hiredis), and differential (against Debian's redis-server).
#   scripts/test.sh           the suite
#   scripts/test.sh --asan    the suite under AddressSanitizer + UBSan
#   scripts/test.sh --tsan    the threaded tests under ThreadSanitizer
#   scripts/test.sh --majors  the suite against cmocka 2.0.2 and hiredis 1.2.0,
#                             built from ../shared/deps into a prefix
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
mode=${1:-}
case "$mode" in
  "")     export BUILD_DIR=${BUILD_DIR:-build}; ./scripts/build.sh ;;
  --asan) export BUILD_DIR=${BUILD_DIR:-build-asan}; BUILD_TYPE=Debug ./scripts/build.sh -DFR_SANITIZE=ON
          export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
          export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ;;
  --tsan) export BUILD_DIR=${BUILD_DIR:-build-tsan}; BUILD_TYPE=Debug ./scripts/build.sh -DFR_TSAN=ON
          export TSAN_OPTIONS=halt_on_error=1 ;;
  --majors) prefix=$(./scripts/deps-majors.sh)
          export BUILD_DIR=${BUILD_DIR:-build-majors/build}
          PKG_CONFIG_PATH="$prefix/lib/pkgconfig" ./scripts/build.sh -DCMAKE_PREFIX_PATH="$prefix"
          export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;;
  *) echo "usage: $0 [--asan|--tsan|--majors]" >&2; exit 2 ;;
esac
# Raise the fd limit for the 10,000-connection test where allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
regex=""
if [ "$mode" = "--tsan" ]; then
  regex="-E diff"  # everything but the differential pair (no threads there)
fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j 2 $regex
