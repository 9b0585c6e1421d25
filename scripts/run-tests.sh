#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine: installs packages, builds, runs the sanitizer
# builds (ASan+UBSan over the unit and plugin tests, TSan over the scheduler and broker/state
# contract tests), then the full suite (unit, plugin, ABI, end-to-end). Ends with ctest's summary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${TEST_BUILD_ROOT:-$root/build-ci}"
jobs="${JOBS:-$(nproc)}"

"$root/scripts/install-deps.sh"

configure_and_build() {  # dir, "targets" (empty = all), extra cmake args...
  local dir="$1" targets="$2"; shift 2
  cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJOBBER_BUILD_BENCHMARKS=OFF "$@" >/dev/null
  # shellcheck disable=SC2086
  cmake --build "$dir" -j "$jobs" ${targets:+--target $targets}
}

echo "== ASan+UBSan build: unit and plugin tests"
configure_and_build "$out/asan" "" -DJOBBER_SANITIZE=address,undefined -DJOBBER_BUILD_SYSTEM_TESTS=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$out/asan" -L unit --output-on-failure -j "$jobs" --timeout 300

echo "== TSan build: scheduler and broker/state contract tests"
configure_and_build "$out/tsan" "jobber_host_unit_tests jobber_memory_tests" -DJOBBER_SANITIZE=thread \
  -DJOBBER_BUILD_SYSTEM_TESTS=OFF
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/.ci/tsan.supp" \
  ctest --test-dir "$out/tsan" -R 'Scheduler|Contract|RunningJobs' --output-on-failure -j 1 --timeout 300

echo "== fuzzing: goyesql parser, config loader, JSON request decoding (FUZZ_SECONDS each)"
FUZZ_BUILD_DIR="$out/fuzz" FUZZ_SECONDS="${FUZZ_SECONDS:-30}" "$root/scripts/run-fuzz.sh"

echo "== full suite (unit, plugin, ABI, integration against throw-away servers, end-to-end)"
configure_and_build "$out/release" ""
# shellcheck source=/dev/null
source "$root/tests/services/lib.sh"
trap jobber_stop_services EXIT
jobber_start_services
ctest --test-dir "$out/release" --output-on-failure -j "$jobs" --timeout 300
