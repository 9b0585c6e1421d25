#!/usr/bin/env bash
# Small-job throughput through the HTTP API with the Redis broker and state store, against pgbench doing the same
# database work with no queue, in one run. Prints jobs/s of each, the ratios, and Redis commands per job.
#
#   bench/redis/run_bench.sh [BUILD_DIR]        (default: ./build; needs sql-jobber and libjobber_redis.so built)
#   JOBS=2000 THREADS=8 WORKERS=8 bench/redis/run_bench.sh build   (KEEP=1 keeps the logs and databases)
#
# Starts its own throw-away Redis (tests/services/redis.sh) and, when tests/services/postgres.sh is there, its own
# PostgreSQL. Runs, each on a fresh results database:
#   1. sql-jobber, Redis broker + state, WORKERS workers, THREADS HTTP clients posting JOBS jobs of a 10-row query;
#   2. the same with the in-process memory broker + state (the cost of a networked queue);
#   3. pgbench, THREADS clients, JOBS transactions of "CREATE TABLE t AS <the same 10-row query>; DROP TABLE t".
# The sql-jobber runs use PostgreSQL as source and results database when the postgres plugin is built and a server
# is available (the same work pgbench does); otherwise SQLite, and the pgbench comparison is across databases.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
jobs="${JOBS:-2000}"
threads="${THREADS:-8}"
workers="${WORKERS:-8}"
bin="$build/bin/sql-jobber"
plugins="$build/lib/sql-jobber/plugins"

die() { echo "run_bench.sh: $*" >&2; exit 1; }
[[ -x "$bin" ]] || die "no sql-jobber at $bin; build it first (cmake --build $build)"
[[ -f "$plugins/libjobber_redis.so" ]] || die "no libjobber_redis.so in $plugins; build jobber_plugin_redis"
command -v sqlite3 >/dev/null || die "sqlite3 is needed (apt-get install sqlite3)"
command -v redis-cli >/dev/null || die "redis-cli is needed (apt-get install redis-tools)"

work="$(mktemp -d /tmp/jobber-bench-redis.XXXXXX)"
# The services run as nobody when we are root: they must be able to reach their directories.
chmod o+x "$work"
export JOBBER_SERVICES_DIR="$work/services"
mkdir -p "$JOBBER_SERVICES_DIR"
# shellcheck source=/dev/null
source "$root/tests/services/lib.sh"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  jobber_stop_services
  if [[ -n "${KEEP:-}" ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
# shellcheck source=/dev/null
source "$root/tests/services/redis.sh" >/dev/null
[[ -n "${JOBBER_TEST_REDIS_ADDRESS:-}" ]] || die "Redis did not start (see the warning above)"
redis_port="${JOBBER_TEST_REDIS_ADDRESS##*:}"
pg_uri=""
if [[ -f "$root/tests/services/postgres.sh" ]] && command -v pgbench >/dev/null && command -v psql >/dev/null; then
  # shellcheck source=/dev/null
  source "$root/tests/services/postgres.sh" >/dev/null || true
  pg_uri="${JOBBER_TEST_POSTGRES_URI:-}"
fi

backend=sqlite
[[ -n "$pg_uri" && -f "$plugins/libjobber_postgres.so" ]] && backend=postgres

echo "== setup: $jobs jobs, $threads client threads, $workers workers; source/results: $backend;" \
  "pgbench: $([[ -n "$pg_uri" ]] && echo yes || echo "no (no PostgreSQL)")"
sqlite3 "$work/source.db" <"$root/sql/demo-data/seed.sql"
if [[ -n "$pg_uri" ]]; then
  psql -q -v ON_ERROR_STOP=1 "$pg_uri" >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS entries;
CREATE TABLE entries AS
SELECT i AS id, 'USER' || ((i * 7919 / 13) % 20 + 1) AS user_id,
       (((i * 7919) % 5000) + ((i * 104729) % 100) / 100.0)::numeric(12, 2) AS amount,
       round(((i * 104729) % 100000) / 100.0 + 0.99, 2)::float8 AS price,
       date '2017-01-01' + (i % 365)::int AS entry_date,
       timestamp '2017-01-01' + (i % 365) * interval '1 day' + ((i * 7919) % 86400) * interval '1 second' AS created_at,
       i % 3 <> 0 AS is_paid,
       CASE WHEN i % 10 = 0 THEN NULL ELSE 'entry ' || i END AS note
FROM generate_series(1::bigint, 100000) AS i;
CREATE INDEX entries_user ON entries (user_id);
ANALYZE entries;
SQL
fi

mkdir -p "$work/sql"
if [[ "$backend" == postgres ]]; then placeholder='$1'; else placeholder='?'; fi
cat >"$work/sql/bench.sql" <<SQL
-- name: bench_rows
-- db: src
-- results: res
SELECT * FROM entries WHERE user_id = $placeholder LIMIT 10;
SQL

# run_jobber NAME BROKER_YAML -> prints the load generator's JSON line
run_jobber() {
  local name="$1" queue_yaml="$2" port db_yaml
  port="$(jobber_free_port)"
  if [[ "$backend" == postgres ]]; then
    db_yaml="db:
  src:
    type: postgres
    dsn: \"$pg_uri\"
    max_connections: $workers
results:
  res:
    type: postgres
    dsn: \"$pg_uri\"
    results_table: \"bench_${name}_%s\""
  else
    db_yaml="db:
  src:
    type: sqlite
    dsn: \"$work/source.db\"
    max_connections: $workers
results:
  res:
    type: sqlite
    dsn: \"$work/results-$name.db\"
    results_table: \"results_%s\""
  fi
  cat >"$work/$name.yaml" <<YAML
app:
  log_level: warning
  default_job_ttl: 1h
server:
  address: "127.0.0.1:$port"
job_queue:
$queue_yaml
$db_yaml
YAML
  "$bin" --config "$work/$name.yaml" --sql-directory "$work/sql" --queue bench \
    --worker-concurrency "$workers" >"$work/$name.log" 2>&1 &
  server_pid=$!
  JOBBER_WAIT_SECONDS=20 jobber_wait_for curl -sf "http://127.0.0.1:$port/health" ||
    die "sql-jobber ($name) did not start; its log: $(cat "$work/$name.log")"
  python3 "$root/bench/redis/http_load.py" "$port" bench_rows "$jobs" "$threads"
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
commands() { redis-cli -p "$redis_port" INFO stats | awk -F: '/^total_commands_processed/ {print $2+0}'; }

redis_yaml="  broker:
    type: redis
    address: \"$JOBBER_TEST_REDIS_ADDRESS\"
    key_prefix: \"bench:\"
  state:
    type: redis
    address: \"$JOBBER_TEST_REDIS_ADDRESS\"
    key_prefix: \"bench:\""
memory_yaml="  broker:
    type: memory
  state:
    type: memory"

echo "== sql-jobber, Redis broker + state"
before="$(commands)"
redis_result="$(run_jobber redis "$redis_yaml")"
after="$(commands)"
echo "   $redis_result"
echo "== sql-jobber, memory broker + state"
memory_result="$(run_jobber memory "$memory_yaml")"
echo "   $memory_result"

pgbench_tps=""
if [[ -n "$pg_uri" ]]; then
  echo "== pgbench: the same query into a new table, then drop it, no queue"
  cat >"$work/pgbench.sql" <<'SQL'
\set u random(1, 20)
\set n random(1, 2000000000)
CREATE TABLE bench_pg_:n AS SELECT * FROM entries WHERE user_id = 'USER' || :u LIMIT 10;
DROP TABLE bench_pg_:n;
SQL
  per_client=$(((jobs + threads - 1) / threads))
  pgbench -n -c "$threads" -j "$threads" -t "$per_client" -f "$work/pgbench.sql" "$pg_uri" >"$work/pgbench.log" 2>&1 ||
    die "pgbench failed: $(cat "$work/pgbench.log")"
  pgbench_tps="$(awk '/^tps = / {print $3; exit}' "$work/pgbench.log")"
  echo "   $(grep -E '^(tps|latency average)' "$work/pgbench.log" | tr '\n' ' ')"
fi

redis_rate="$(field "$redis_result" jobs_per_second)"
memory_rate="$(field "$memory_result" jobs_per_second)"
polls="$(field "$redis_result" status_polls)"
# Each GET /jobs/{id} of the load generator is one Redis command; they are the client's, not the job's.
commands_per_job="$(python3 -c "print(round(($after - $before - $polls) / $jobs, 1))")"
echo "== results"
printf '%-44s %10s jobs/s\n' "sql-jobber + Redis ($backend)" "$redis_rate"
printf '%-44s %10s jobs/s\n' "sql-jobber + memory ($backend)" "$memory_rate"
[[ -n "$pgbench_tps" ]] && printf '%-44s %10s jobs/s\n' "pgbench, no queue (PostgreSQL)" "$pgbench_tps"
python3 - "$redis_rate" "$memory_rate" "${pgbench_tps:-0}" <<'PY'
import sys
redis, memory, pg = (float(x) for x in sys.argv[1:])
print("%-44s %10.2f" % ("ratio Redis / memory", redis / memory))
if pg > 0:
    print("%-44s %10.2f   (target >= 0.80)" % ("ratio Redis / pgbench", redis / pg))
PY
printf '%-44s %10s  (POST, workers, watchdog, idle pops; not the client status polls)\n' "Redis commands per job" "$commands_per_job"
[[ "$backend" == sqlite && -n "$pgbench_tps" ]] &&
  echo "note: the postgres plugin is not built, so sql-jobber ran on SQLite while pgbench ran on PostgreSQL."
exit 0
