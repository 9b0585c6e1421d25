#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time (FUZZ_SECONDS, default
# 30) starting from the seed corpora in fuzz/corpus. New inputs go to a temp dir, not the repo. A
# crash stops the script with the reproducer's path; copy it into fuzz/corpus/<target>/ with the
# fix, so the replay test (ctest -L fuzz) keeps it fixed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${FUZZ_SECONDS:-30}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJOBBER_FUZZ=ON \
  -DJOBBER_BUILD_TESTS=OFF -DJOBBER_BUILD_BENCHMARKS=OFF \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" --target goyesql_fuzzer config_fuzzer job_request_fuzzer

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for target in goyesql config job_request; do
  mkdir -p "$work/$target" "$work/artifacts"
  cp "$root/fuzz/corpus/$target/"* "$work/$target/"
  echo "== fuzzing $target for ${seconds}s"
  # The config target runs in fork mode ignoring timeouts/OOMs: yaml-cpp 0.7 has a known hang class
  # (see config_loader.cpp) that the loader turns into an error after a deadline, leaving a thread behind.
  extra=()
  [[ $target == config ]] && extra=(-fork=1 -ignore_timeouts=1 -ignore_ooms=1)
  "$build/bin/${target}_fuzzer" "${extra[@]}" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/" "$work/$target" 2>&1 | tail -n 3 || {
    echo "fuzzer $target found a crash:"; ls -l "$work/artifacts"; exit 1; }
done
