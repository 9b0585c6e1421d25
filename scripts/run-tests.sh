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
  cmake -S "$root" -B "$dir" -G Ninja -DJOBBER_BUILD_BENCHMARKS=OFF "$@" >/dev/null
  # shellcheck disable=SC2086
  cmake --build "$dir" -j "$jobs" ${targets:+--target $targets}
}

# The sanitizer stages build only the unit-test binaries and run them directly (no servers yet:
# their integration cases skip), which keeps the whole command well under half an hour.
unit_targets="jobber_host_unit_tests jobber_memory_tests jobber_sqlite_tests jobber_sdk_tests jobber_abi_layout_tests jobber_plugin_loading_tests"

# Compile flags per stage, chosen for build time (full debug info is a third of each compile, measured on
# http_server.cpp, job_views.cpp and scheduler_test.cpp): the sanitizer builds keep line tables (-g1) so
# their reports name file and line, at -O1 as the sanitizers recommend; the full suite needs no debug info.
sanitizer_build=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
release_build=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG")

run_binaries() {  # dir, binaries... ; env is inherited
  local dir="$1"; shift
  local failed=0 t
  for t in "$@"; do
    echo "-- $t"
    "$dir/bin/$t" --gtest_brief=1 || failed=1
  done
  return $failed
}

echo "== ASan+UBSan build: unit, SDK, ABI, plugin-loading, memory and sqlite tests"
configure_and_build "$out/asan" "$unit_targets" "${sanitizer_build[@]}" -DJOBBER_SANITIZE=address,undefined -DJOBBER_BUILD_SYSTEM_TESTS=OFF
# The yaml-cpp hang test leaves a spinning parser thread behind by design; it runs in its own
# process in the full suite, not inside these long single-process runs.
# shellcheck disable=SC2086
GTEST_FILTER='-ConfigLoaderExtrasTest.AYamlCppHangBecomesAClearError' \
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_binaries "$out/asan" $unit_targets

echo "== TSan build: scheduler and broker/state contract tests"
configure_and_build "$out/tsan" "jobber_host_unit_tests jobber_memory_tests" "${sanitizer_build[@]}" -DJOBBER_SANITIZE=thread \
  -DJOBBER_BUILD_SYSTEM_TESTS=OFF
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/.ci/tsan.supp" \
  "$out/tsan/bin/jobber_host_unit_tests" --gtest_brief=1 --gtest_filter='Scheduler*:RunningJobs*:DbAdmission*'
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/.ci/tsan.supp" \
  "$out/tsan/bin/jobber_memory_tests" --gtest_brief=1

echo "== fuzzing: goyesql parser, config loader, JSON request decoding (FUZZ_SECONDS each)"
FUZZ_BUILD_DIR="$out/fuzz" FUZZ_SECONDS="${FUZZ_SECONDS:-20}" "$root/scripts/run-fuzz.sh"

echo "== full suite (unit, plugin, ABI, integration against throw-away servers, end-to-end)"
configure_and_build "$out/release" "" "${release_build[@]}"
# shellcheck source=/dev/null
source "$root/tests/services/lib.sh"
trap jobber_stop_services EXIT
jobber_start_services
# The integration tests skip when their server is missing, which is right for a developer's partial
# machine but would hide a broken install here: every service must be up before anything runs.
for var in JOBBER_TEST_POSTGRES_URI JOBBER_TEST_MYSQL_DSN JOBBER_TEST_REDIS_ADDRESS JOBBER_TEST_AMQP_URL; do
  if [[ -z "${!var:-}" ]]; then
    echo "FATAL: $var is unset: its throw-away server did not start (see the WARNING above)" >&2
    exit 1
  fi
done
# The servers tests start themselves (private Redis/Sentinel, PostgreSQL and MariaDB for fault tests, RabbitMQ
# nodes) and their temp files go where the shared ones are: tmpfs when it has room (see tests/services/lib.sh).
TMPDIR="${TMPDIR:-$(jobber_services_parent)}" ctest --test-dir "$out/release" --output-on-failure -j "$jobs" \
  --timeout 300
