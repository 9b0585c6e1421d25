#!/usr/bin/env bash
# Small-job throughput through the HTTP API against pgbench doing the same database work with no queue, both on
# the same throw-away PostgreSQL server in the same run (issue #5). Prints jobs/s of each, their ratio (target: at
# least 0.8) and, for brokers on Redis, Redis commands per job.
#
#   bench/redis/run_bench.sh [BUILD_DIR]            (default: ./build; needs sql-jobber and the plugins built)
#   JOBS=2000 THREADS=8 WORKERS=8 REPEAT=3 bench/redis/run_bench.sh build
#   BENCH_BROKER="redis memory" bench/redis/run_bench.sh build     (several brokers, each against the same pgbench)
#   KEEP=1 ...                                      (keeps logs, configs and the services' directories)
#   BENCH_TMPDIR=/dev/shm ...                       (servers' data on tmpfs: far less run-to-run noise on a VM disk)
#
# BENCH_BROKER names templates in BENCH_BROKER_DIR (default bench/redis/brokers): <name>.yaml is the `job_queue:`
# section, with @VAR@ taken from the environment and @KEY_PREFIX@ set per run; its first line `# services: a b`
# names the tests/services/<a>.sh scripts that start what it needs. Add a template to bench another broker.
#
# Each repetition gets a fresh database cloned from a template holding the source rows, and runs, in alternating
# order, every broker's sql-jobber and pgbench:
#   sql-jobber: source and results = that PostgreSQL database, WORKERS workers; http_load (C, keep-alive) posts
#     JOBS jobs of `SELECT * FROM entries WHERE user_id = $1 LIMIT 10` from THREADS connections; the clock runs
#     from the first POST to the moment the server's jobber_jobs_total counts them all final. Every job's state is
#     then checked through GET /jobs/{id}, outside the clock.
#   pgbench: THREADS clients (-j THREADS), JOBS transactions in all, each `CREATE TABLE t AS <the same query>` then
#     `DROP TABLE t`.
# The load average before each repetition is printed with it; the summary gives medians.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
jobs="${JOBS:-2000}"
threads="${THREADS:-8}"
workers="${WORKERS:-8}"
repeat="${REPEAT:-3}"
brokers="${BENCH_BROKER:-redis}"
broker_dir="${BENCH_BROKER_DIR:-$root/bench/redis/brokers}"
bin="$build/bin/sql-jobber"
plugins="$build/lib/sql-jobber/plugins"

die() {
  echo "run_bench.sh: $*" >&2
  exit 1
}
[[ -x "$bin" ]] || die "no sql-jobber at $bin; build it first (cmake --build $build --target sql-jobber)"
[[ -f "$plugins/libjobber_postgres.so" ]] || die "no libjobber_postgres.so in $plugins; build jobber_plugin_postgres"
for tool in cc psql pgbench curl python3; do
  command -v "$tool" >/dev/null || die "$tool is needed (scripts/install-deps.sh installs it)"
done
for broker in $brokers; do
  [[ -f "$broker_dir/$broker.yaml" ]] || die "no broker template $broker_dir/$broker.yaml"
  [[ "$broker" == memory || -f "$plugins/libjobber_$broker.so" ]] ||
    die "no libjobber_$broker.so in $plugins; build jobber_plugin_$broker"
done

work="$(mktemp -d "${BENCH_TMPDIR:-/tmp}/jobber-bench-redis.XXXXXX")"
# The services run as nobody when we are root: they must be able to reach their directories.
chmod o+x "$work"
export JOBBER_SERVICES_DIR="$work/services"
mkdir -p "$JOBBER_SERVICES_DIR"
# shellcheck source=/dev/null
source "$root/tests/services/lib.sh"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  jobber_stop_services
  if [[ -n "${KEEP:-}" ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Services: PostgreSQL for both sides, plus whatever the broker templates name.
services="postgres"
for broker in $brokers; do
  services+=" $(sed -n '1s/^# services://p' "$broker_dir/$broker.yaml")"
done
for service in $(tr ' ' '\n' <<<"$services" | awk 'NF && !seen[$0]++'); do
  [[ -f "$root/tests/services/$service.sh" ]] || die "no tests/services/$service.sh"
  # shellcheck source=/dev/null
  source "$root/tests/services/$service.sh" >/dev/null
done
[[ -n "${JOBBER_TEST_POSTGRES_URI:-}" ]] || die "PostgreSQL did not start (see the warning above)"
pg_base="${JOBBER_TEST_POSTGRES_URI%/*}"
redis_port=""
[[ -n "${JOBBER_TEST_REDIS_ADDRESS:-}" ]] && redis_port="${JOBBER_TEST_REDIS_ADDRESS##*:}"

cc -O2 -pthread -o "$work/http_load" "$root/bench/redis/http_load.c" || die "cannot build http_load.c"

# The source rows, once, in a template database; each repetition clones it, so both sides of every repetition
# start from the same catalog (sql-jobber keeps its tables, pgbench drops its own).
psql -q -v ON_ERROR_STOP=1 "$JOBBER_TEST_POSTGRES_URI" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE DATABASE bench_template;
\c bench_template
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

mkdir -p "$work/sql"
cat >"$work/sql/bench.sql" <<'SQL'
-- name: bench_rows
-- db: src
-- results: res
SELECT * FROM entries WHERE user_id = $1 LIMIT 10;
SQL
cat >"$work/pgbench.sql" <<'SQL'
\set u random(1, 20)
\set n random(1, 2000000000)
CREATE TABLE bench_pg_:n AS SELECT * FROM entries WHERE user_id = 'USER' || :u LIMIT 10;
DROP TABLE bench_pg_:n;
SQL

# Substitutes @VAR@ from the environment (and @KEY_PREFIX@) in a broker template, dropping its comment lines.
render_template() {
  KEY_PREFIX="$2" python3 - "$1" <<'PY'
import os, re, sys
text = "".join(line for line in open(sys.argv[1]) if not line.startswith("#"))
def value(match):
    name = match.group(1)
    if name not in os.environ:
        sys.exit("run_bench.sh: %s needs $%s (did its service start?)" % (sys.argv[1], name))
    return os.environ[name]
sys.stdout.write(re.sub(r"@([A-Za-z_][A-Za-z0-9_]*)@", value, text))
PY
}

redis_commandstats() {
  if [[ -n "$redis_port" ]]; then redis-cli -p "$redis_port" INFO commandstats; fi
}

# run_jobber BROKER DB NAME -> one JSON line: the load generator's, plus verification and Redis command counts.
run_jobber() {
  local broker="$1" db="$2" name="$3" port queue_yaml
  port="$(jobber_free_port)"
  queue_yaml="$(render_template "$broker_dir/$broker.yaml" "bench:$name:")"
  cat >"$work/$name.yaml" <<YAML
app:
  log_level: warning
  default_job_ttl: 1h
server:
  address: "127.0.0.1:$port"
job_queue:
$queue_yaml
db:
  src:
    type: postgres
    dsn: "$pg_base/$db"
    max_connections: $workers
results:
  res:
    type: postgres
    dsn: "$pg_base/$db"
    max_connections: $workers
    results_table: "bench_%s"
YAML
  "$bin" --config "$work/$name.yaml" --sql-directory "$work/sql" --queue bench \
    --worker-concurrency "$workers" >"$work/$name.log" 2>&1 &
  server_pid=$!
  JOBBER_WAIT_SECONDS=20 jobber_wait_for curl -sf "http://127.0.0.1:$port/health" ||
    die "sql-jobber ($name) did not start; its log: $(cat "$work/$name.log")"
  redis_commandstats >"$work/$name.redis-before"
  local load
  load="$(python3 "$root/bench/redis/cpu_split.py" "$work/$name.cpu" -- \
    "$work/http_load" "$port" bench_rows "$jobs" "$threads" "$work/$name.ids")" ||
    die "load generator failed against $name; server log: $(tail -5 "$work/$name.log")"
  redis_commandstats >"$work/$name.redis-after"
  local verified
  verified="$(python3 "$root/bench/redis/verify_jobs.py" "$port" "$work/$name.ids")"
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  python3 - "$load" "$verified" "$work/$name.redis-before" "$work/$name.redis-after" "$work/$name.cpu" <<'PY'
import json, re, sys
load, verified = json.loads(sys.argv[1]), json.loads(sys.argv[2])
load["cpu"] = json.load(open(sys.argv[5]))
def stats(path):
    out = {}
    for line in open(path):
        m = re.match(r"cmdstat_([^:]+):calls=(\d+)", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out
before, after = stats(sys.argv[3]), stats(sys.argv[4])
# INFO itself (the snapshots) is not the job's.
delta = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) > 0 and k != "info"}
load["verified"] = verified
if delta:
    n = load["jobs"]
    load["redis_commands_per_job"] = round(sum(delta.values()) / n, 1)
    top = sorted(delta.items(), key=lambda kv: -kv[1])[:8]
    load["redis_top"] = " ".join("%s=%.1f" % (k, v / n) for k, v in top)
print(json.dumps(load))
PY
}

# cpu_per_job SPLIT_JSON -> "postgres 1.10 client 0.05 ..." (ms of CPU per job by part; see cpu_split.py)
cpu_per_job() {
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); n=int(sys.argv[2])
print(" ".join("%s %.2f" % (k, v * 1000 / n) for k, v in c.items() if k != "wall" and v > 0))' "$1" "$jobs"
}

# run_pgbench DB -> tps (without connection time); the CPU split goes to $work/pgbench-DB.cpu
run_pgbench() {
  local db="$1" per_client=$(((jobs + threads - 1) / threads))
  python3 "$root/bench/redis/cpu_split.py" "$work/pgbench-$db.cpu" -- pgbench -n -c "$threads" -j "$threads" -t "$per_client" -f "$work/pgbench.sql" "$pg_base/$db" \
    >"$work/pgbench-$db.log" 2>&1 || die "pgbench failed: $(cat "$work/pgbench-$db.log")"
  awk '/^tps = / {print $3; exit}' "$work/pgbench-$db.log"
}

echo "== $jobs jobs of a 10-row query, $threads client threads, $workers workers, $repeat repetitions;" \
  "brokers: $brokers; PostgreSQL source and results (same server as pgbench)"
results="$work/results.jsonl"
: >"$results"
for ((rep = 1; rep <= repeat; rep++)); do
  db="bench_r$rep"
  psql -q -v ON_ERROR_STOP=1 "$JOBBER_TEST_POSTGRES_URI" -c "CREATE DATABASE $db TEMPLATE bench_template" >/dev/null
  load_avg="$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "-- repetition $rep (load average $load_avg)"
  # Alternate the order, so a drift in the machine's other load does not always favour the same side.
  order="pgbench $brokers"
  ((rep % 2 == 1)) && order="$brokers pgbench"
  for side in $order; do
    # Each side starts with no dirty pages left by the one before (the template's rows, the other side's tables):
    # otherwise the kernel's writeback of them lands in whichever side runs next.
    psql -q "$JOBBER_TEST_POSTGRES_URI" -c CHECKPOINT >/dev/null
    sync
    if [[ "$side" == pgbench ]]; then
      tps="$(run_pgbench "$db")"
      printf '   %-10s %8.1f jobs/s  cpu ms/job: %s\n' pgbench "$tps" "$(cpu_per_job "$work/pgbench-$db.cpu")"
      echo "{\"rep\": $rep, \"side\": \"pgbench\", \"jobs_per_second\": $tps, \"load\": \"$load_avg\"," \
        "\"cpu\": $(cat "$work/pgbench-$db.cpu")}" >>"$results"
    else
      line="$(run_jobber "$side" "$db" "$side-$rep")"
      python3 - "$line" "$side" <<'PY'
import json, sys
r, side = json.loads(sys.argv[1]), sys.argv[2]
v = r["verified"]
extra = "  redis: %s commands/job (%s)" % (r["redis_commands_per_job"], r["redis_top"]) if "redis_commands_per_job" in r else ""
bad = "" if v["success"] == v["checked"] == r["jobs"] and r["refused"] == 0 else \
    "  NOT ALL SUCCESS: %s refused=%d first error: %s" % (v, r["refused"], v["first_error"])
cpu = " ".join("%s %.2f" % (k, v * 1000 / r["jobs"]) for k, v in r["cpu"].items() if k != "wall" and v > 0)
print("   %-10s %8.1f jobs/s  (%.2f s, %d metric scrapes)  cpu ms/job: %s%s%s" %
      (side, r["jobs_per_second"], r["seconds"], r["metric_polls"], cpu, extra, bad))
PY
      python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.update(rep=int(sys.argv[2]), side=sys.argv[3], load=sys.argv[4]); print(json.dumps(r))' \
        "$line" "$rep" "$side" "$load_avg" >>"$results"
    fi
  done
done

echo "== medians of $repeat repetitions"
# shellcheck disable=SC2086 # one argument per broker
JOBS="$jobs" python3 - "$results" $brokers <<'PY'
import json, os, statistics, sys
JOBS = int(os.environ["JOBS"])
rows = [json.loads(line) for line in open(sys.argv[1])]
pg = {r["rep"]: r["jobs_per_second"] for r in rows if r["side"] == "pgbench"}
def cpu_line(side_rows):
    # Median CPU per job by part, ms: where the two cores went (cpu_split.py).
    parts = [k for k in side_rows[0].get("cpu", {}) if k not in ("wall",)]
    out = []
    for k in parts:
        values = [r["cpu"][k] * 1000 / r.get("jobs", JOBS) for r in side_rows if "cpu" in r]
        if values and statistics.median(values) > 0:
            out.append("%s %.2f" % (k, statistics.median(values)))
    return " ".join(out)
print("%-36s %10.1f jobs/s   cpu ms/job: %s" % ("pgbench, no queue", statistics.median(pg.values()),
                                                cpu_line([r for r in rows if r["side"] == "pgbench"])))
failed = False
for broker in sys.argv[2:]:
    mine = [r for r in rows if r["side"] == broker]
    rate = statistics.median(r["jobs_per_second"] for r in mine)
    ratio = statistics.median(r["jobs_per_second"] / pg[r["rep"]] for r in mine)
    print("%-36s %10.1f jobs/s   cpu ms/job: %s" % ("sql-jobber, %s broker" % broker, rate, cpu_line(mine)))
    print("%-36s %10.2f   (median of per-repetition ratios; target >= 0.80)" % ("ratio %s / pgbench" % broker, ratio))
    if any("redis_commands_per_job" in r for r in mine):
        print("%-36s %10.1f   (inside scripts included; the load generator's few /metrics scrapes too)" %
              ("Redis commands per job (%s)" % broker, statistics.median(r["redis_commands_per_job"] for r in mine)))
    failed |= any(r["verified"]["success"] != r["jobs"] or r["refused"] for r in mine)
if failed:
    print("WARNING: some jobs were refused or did not end SUCCESS; see the repetitions above")
PY
