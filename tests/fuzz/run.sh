#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan+UBSan) and run each for SECONDS
# (default 60), one after the other. Fails (exit 1) if any target reports
# anything: a crash, a sanitizer report, a broken property (abort), a leak,
# a timeout or running out of memory. Prints one line per target.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     e.g. tests/fuzz/run.sh 600 fault
#
# FUZZ_BUILD_DIR (default build-fuzz) is the clang build; each target's
# corpus grows in FUZZ_BUILD_DIR/fuzz/corpus/TARGET (seeded from the
# committed tests/fuzz/corpus/TARGET, which is never written); reports and
# the inputs that caused them go to FUZZ_BUILD_DIR/fuzz/TARGET.log and
# FUZZ_BUILD_DIR/fuzz/crash-*. Reproduce one with
#   FUZZ_BUILD_DIR/tests/fuzz/fuzz_TARGET FILE
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
all=(request config fault reply recording monitor)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
case "$secs" in ''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;; esac

dir=${FUZZ_BUILD_DIR:-build-fuzz}
cc=${CC:-clang}
command -v "$cc" >/dev/null || { echo "fuzz: $cc not found (apt-get install clang)" >&2; exit 1; }
CC=$cc cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFR_FUZZ=ON \
  -DFR_BUILD_TESTS=OFF -DFR_BUILD_EXAMPLES=OFF >/dev/null
targets_build=()
for t in "${targets[@]}"; do targets_build+=(--target "fuzz_$t"); done
cmake --build "$dir" -j 2 "${targets_build[@]}" >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
out=$dir/fuzz
mkdir -p "$out"
failed=()
for t in "${targets[@]}"; do
  bin=$dir/tests/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz: no target $t" >&2; exit 2; }
  corpus=$out/corpus/$t
  mkdir -p "$corpus"
  log=$out/$t.log
  start=$(date +%s)
  rc=0
  # -timeout: one input running 10 s is a hang, reported like a crash
  "$bin" "$corpus" "tests/fuzz/corpus/$t" -dict="tests/fuzz/dict/$t.dict" \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$out/" >"$log" 2>&1 || rc=$?
  took=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  reports=$(grep -cE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: |deadly signal|ALARM: working on the last Unit' "$log" || true)
  if [ "$rc" -ne 0 ] || [ "$reports" -ne 0 ]; then
    failed+=("$t")
    echo "fuzz $t: FAILED (exit $rc, $reports report lines) after $took s: see $log"
    grep -E '^==[0-9]+==ERROR|runtime error:|^SUMMARY: |Test unit written' "$log" | head -5 || true
  else
    echo "fuzz $t: ok, ${execs:-?} executions in $took s, cov ${cov:-?} ft ${ft:-?}, 0 reports"
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: reports from: ${failed[*]}" >&2
  exit 1
fi
