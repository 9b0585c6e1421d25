#!/usr/bin/env bash
# The small-job throughput benchmark of bench/redis, run against several brokers in one go and printed side by side
# (default: Redis, and RabbitMQ through the amqp plugin with the Redis state store).
#
#   bench/brokers/run_bench.sh [BUILD_DIR]               (default: ./build)
#   BROKERS="redis amqp memory" JOBS=2000 THREADS=8 WORKERS=8 REPEAT=3 bench/brokers/run_bench.sh build
#
# Needs sql-jobber and the postgres, redis and amqp plugins built. Nothing is copied from bench/redis: this script
# gathers the broker templates (bench/redis/brokers/*.yaml plus this folder's amqp.yaml) into one directory and
# calls bench/redis/run_bench.sh with BENCH_BROKER_DIR pointing at it, so both brokers run the same workload against
# the same pgbench in the same repetitions, in alternating order. Its summary prints the brokers side by side.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
templates="$(mktemp -d /tmp/jobber-bench-brokers.XXXXXX)"
trap 'rm -rf "$templates"' EXIT
for template in "$root"/bench/redis/brokers/*.yaml "$here"/*.yaml; do
  ln -s "$template" "$templates/$(basename "$template")"
done
# The benchmark's WORKERS sets --worker-concurrency; RabbitMQ's prefetch should match it.
if [[ -n "${WORKERS:-}" ]]; then
  sed "s/^    prefetch: .*/    prefetch: $WORKERS/" "$here/amqp.yaml" >"$templates/amqp.yaml.tmp"
  mv "$templates/amqp.yaml.tmp" "$templates/amqp.yaml"
fi
BENCH_BROKER="${BROKERS:-redis amqp}" BENCH_BROKER_DIR="$templates" "$root/bench/redis/run_bench.sh" "$@"
