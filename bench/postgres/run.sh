#!/usr/bin/env bash
# PostgreSQL -> PostgreSQL: a 1,000,000-row `SELECT * FROM entries` job against the same rows moved
# by `psql COPY TO STDOUT | psql COPY FROM STDIN` into an unlogged table, in one run, on one server.
# Prints each time, the ratio job/pipe (target: at most 1.25) and the server's peak RSS growth
# during the job (target: under 64 MB). Also compares the source's single-row mode with a binary
# cursor, and the results backend's COPY binary with COPY text.
#
#   bench/postgres/run.sh [BUILD_DIR]        (default: build; builds what it needs)
#
# Uses the server in $JOBBER_TEST_POSTGRES_URI, or starts a throw-away one with
# tests/services/postgres.sh. JOBBER_BENCH_ROWS (default 1000000) and JOBBER_BENCH_REPEAT (default 3;
# the best time of each is kept) tune it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" 2>/dev/null && pwd || echo "${1:-$root/build}")"
rows="${JOBBER_BENCH_ROWS:-1000000}"
repeat="${JOBBER_BENCH_REPEAT:-3}"

if [[ ! -f "$build/build.ninja" && ! -f "$build/Makefile" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJOBBER_BUILD_BENCHMARKS=OFF >/dev/null
fi
cmake --build "$build" --target sql-jobber jobber_plugin_memory jobber_plugin_postgres jobber_postgres_fetch_bench \
  >/dev/null

# shellcheck source=/dev/null
source "$root/tests/services/lib.sh"
if [[ -z "${JOBBER_TEST_POSTGRES_URI:-}" ]]; then
  export JOBBER_SERVICES_DIR="$(mktemp -d /tmp/jobber-bench.XXXXXX)"
  trap 'jobber_stop_services; rm -rf "$JOBBER_SERVICES_DIR"' EXIT
  # shellcheck source=/dev/null
  source "$root/tests/services/postgres.sh"
  [[ -n "${JOBBER_TEST_POSTGRES_URI:-}" ]] || { echo "no PostgreSQL server" >&2; exit 1; }
fi
admin="$JOBBER_TEST_POSTGRES_URI"
base="${admin%/*}"
src="$base/jobber_bench_source"
dst="$base/jobber_bench_results"
work="$(mktemp -d /tmp/jobber-bench-run.XXXXXX)"
server_pid=""
cleanup_run() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap 'cleanup_run; jobber_stop_services 2>/dev/null || true' EXIT

psql() { PGOPTIONS="-c client_min_messages=warning" command psql -X -q -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }

echo "== data: $rows rows in entries (the demo ledger's columns)"
for db in jobber_bench_source jobber_bench_results; do
  psql "$admin" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
done
columns="id bigint PRIMARY KEY, user_id text NOT NULL, amount numeric(12, 2), price double precision, entry_date date,
         created_at timestamp, is_paid boolean, note text"
psql "$src" <<SQL
CREATE TABLE entries ($columns);
INSERT INTO entries
SELECT i, 'USER' || ((i * 7919 / 13) % 20 + 1), ((i * 7919) % 5000) + ((i * 104729) % 100) / 100.0,
       round(((i * 104729) % 100000) / 100.0 + 0.99, 2), date '2017-01-01' + (i % 365)::int,
       timestamp '2017-01-01' + (i % 365) * interval '1 day' + ((i * 7919) % 86400) * interval '1 second',
       i % 3 <> 0,
       CASE WHEN i % 10 = 0 THEN NULL WHEN i % 17 = 0 THEN 'café ☕ 支払い済み — ünïcødé'
            WHEN i % 13 = 0 THEN 'refund for order #' || (i * 31 % 9973) ELSE 'entry ' || i END
FROM generate_series(1::bigint, $rows) AS i;
VACUUM ANALYZE entries;
SQL
psql "$src" -c "SELECT count(*) FROM entries" >/dev/null  # warm the cache

pipe_once() {
  psql "$dst" -c "DROP TABLE IF EXISTS entries_pipe" -c "CREATE UNLOGGED TABLE entries_pipe ($columns)" >/dev/null
  local t0 t1
  t0=$(now)
  psql "$src" -c "COPY (SELECT * FROM entries) TO STDOUT" | psql "$dst" -c "COPY entries_pipe FROM STDIN"
  t1=$(now)
  awk "BEGIN {print $t1 - $t0}"
}

# Starts sql-jobber with the given copy format, runs one job, prints "seconds peak_rss_growth_kb".
job_once() {
  local format="$1" port log status t0 t1 base_kb peak_kb
  port="$(jobber_free_port)"
  mkdir -p "$work/sql"
  cat >"$work/sql/bench.sql" <<'SQL'
-- name: all_entries
SELECT * FROM entries;
SQL
  cat >"$work/bench.yaml" <<YAML
app:
  log_level: warning
  expiry_sweep_interval: 1h
server:
  address: "127.0.0.1:$port"
job_queue:
  broker: {type: memory}
  state: {type: memory}
db:
  pg: {type: postgres, dsn: "$src", max_connections: 2}
results:
  pg_results: {type: postgres, dsn: "$dst", results_table: "results_%s", unlogged: true, copy_format: $format}
YAML
  log="$work/server.log"
  "$build/bin/sql-jobber" --config "$work/bench.yaml" --sql-directory "$work/sql" --worker-concurrency 1 \
    >"$log" 2>&1 &
  server_pid=$!
  jobber_wait_for curl -sf "http://127.0.0.1:$port/health" || { cat "$log" >&2; exit 1; }
  base_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status")
  t0=$(now)
  curl -sf -X POST "http://127.0.0.1:$port/tasks/all_entries/jobs" --data '{"job_id": "bench"}' >/dev/null
  while :; do
    status=$(curl -sf "http://127.0.0.1:$port/jobs/bench" | sed -n 's/.*"state":"\([A-Z]*\)".*/\1/p')
    [[ "$status" == SUCCESS || "$status" == FAILURE ]] && break
    sleep 0.01
  done
  t1=$(now)
  peak_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status")
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  if [[ "$status" != SUCCESS ]]; then
    curl -sf "http://127.0.0.1:$port/jobs/bench" >&2 || true
    cat "$log" >&2
    exit 1
  fi
  local count
  count=$(psql "$dst" -tAc "SELECT count(*) FROM results_bench")
  [[ "$count" == "$rows" ]] || { echo "results_bench has $count rows, expected $rows" >&2; exit 1; }
  echo "$(awk "BEGIN {print $t1 - $t0}") $((peak_kb - base_kb))"
}

min() { printf '%s\n' "$@" | sort -g | head -n 1; }
max() { printf '%s\n' "$@" | sort -g | tail -n 1; }

pipe_times=() binary_times=() text_times=() binary_rss=() text_rss=()
for ((i = 1; i <= repeat; i++)); do
  pipe_times+=("$(pipe_once)")
  read -r t r < <(job_once binary)
  binary_times+=("$t") binary_rss+=("$r")
  read -r t r < <(job_once text)
  text_times+=("$t") text_rss+=("$r")
  echo "round $i: pipe=${pipe_times[-1]}s job(binary)=${binary_times[-1]}s job(text)=${text_times[-1]}s"
done

pipe=$(min "${pipe_times[@]}")
binary=$(min "${binary_times[@]}")
text=$(min "${text_times[@]}")
echo
echo "== $rows rows, best of $repeat"
printf 'pipe  psql COPY TO | psql COPY FROM (unlogged)   %7.3f s\n' "$pipe"
printf 'job   sql-jobber, COPY binary (unlogged)         %7.3f s   ratio %.2f   peak RSS growth %d MB\n' \
  "$binary" "$(awk "BEGIN {print $binary / $pipe}")" "$(( $(max "${binary_rss[@]}") / 1024 ))"
printf 'job   sql-jobber, COPY text (unlogged)           %7.3f s   ratio %.2f   peak RSS growth %d MB\n' \
  "$text" "$(awk "BEGIN {print $text / $pipe}")" "$(( $(max "${text_rss[@]}") / 1024 ))"
echo "target: ratio <= 1.25, peak RSS growth < 64 MB"

echo
echo "== source only: single-row mode (the plugin) vs binary cursor FETCH 10000"
"$build/bin/jobber_postgres_fetch_bench" "$src" "SELECT * FROM entries" 10000 | tail -n 2

psql "$admin" -c "DROP DATABASE jobber_bench_source" -c "DROP DATABASE jobber_bench_results" >/dev/null
