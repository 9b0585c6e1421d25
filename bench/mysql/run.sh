#!/usr/bin/env bash
# Times a 1,000,000-row MySQL -> MySQL job through sql-jobber against the shell pipe
#   mariadb --quick -e "SELECT ..." | mariadb -e "LOAD DATA LOCAL INFILE '/dev/stdin' ..."
# in the same run, on the same server and the same destination column types, and prints the
# ratios and the server's peak RSS growth. Both results write methods (load_data, insert) are
# measured.
#
#   bench/mysql/run.sh [BUILD_DIR]       (default: build; needs bin/sql-jobber and the plugins)
#
# Uses the server in $JOBBER_TEST_MYSQL_DSN / $JOBBER_TEST_MYSQL_RESULTS_DSN when set, otherwise
# starts a throw-away one with tests/services/mariadb.sh. ROWS=... overrides the row count,
# RUNS=... the repetitions (the best run of each counts).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
rows="${ROWS:-1000000}"
runs="${RUNS:-2}"
binary="$build/bin/sql-jobber"
[[ -x "$binary" ]] || { echo "no $binary: build the project first (cmake --build $build)" >&2; exit 1; }

# shellcheck source=/dev/null
source "$root/tests/services/lib.sh"
work="$(mktemp -d /tmp/jobber-bench-mysql.XXXXXX)"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  jobber_stop_services
  rm -rf "$work"
}
trap cleanup EXIT
if [[ -z "${JOBBER_TEST_MYSQL_DSN:-}" ]]; then
  export JOBBER_SERVICES_DIR="$work/services"
  mkdir -p "$JOBBER_SERVICES_DIR"
  # shellcheck source=/dev/null
  source "$root/tests/services/mariadb.sh"
fi
[[ -n "${JOBBER_TEST_MYSQL_DSN:-}" ]] || { echo "no MySQL server available" >&2; exit 1; }

# mysql://user:password@host:port/db -> client arguments
client_args() {
  local dsn="$1" rest user pass hostport host port db
  rest="${dsn#mysql://}"; user="${rest%%:*}"; rest="${rest#*:}"; pass="${rest%%@*}"; rest="${rest#*@}"
  hostport="${rest%%/*}"; db="${rest#*/}"; host="${hostport%%:*}"; port="${hostport##*:}"
  echo "--no-defaults -h$host -P$port -u$user -p$pass $db"
}
read -r -a src <<<"$(client_args "$JOBBER_TEST_MYSQL_DSN")"
read -r -a dst <<<"$(client_args "${JOBBER_TEST_MYSQL_RESULTS_DSN:-$JOBBER_TEST_MYSQL_DSN}")"
now() { date +%s.%N; }

echo "== building the ${rows}-row source table"
mariadb "${src[@]}" <<SQL
DROP TABLE IF EXISTS bench_digits, bench_entries;
CREATE TABLE bench_digits (n INT);
INSERT INTO bench_digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
CREATE TABLE bench_entries (id BIGINT PRIMARY KEY, user_id VARCHAR(16) NOT NULL, amount DECIMAL(12,2) NOT NULL,
  price DOUBLE NOT NULL, entry_date DATE NOT NULL, created_at DATETIME NOT NULL, is_paid BOOL NOT NULL,
  note VARCHAR(64) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO bench_entries
SELECT i, CONCAT('USER', i % 20 + 1), (i * 7919 % 500000) / 100, (i * 104729 % 100000) / 100.0 + 0.99,
       DATE_ADD('2017-01-01', INTERVAL i % 365 DAY), DATE_ADD('2017-01-01 00:00:00', INTERVAL i * 31 SECOND),
       i % 3 = 0, CONCAT('note ', i, ' café')
FROM (SELECT a.n + 10*b.n + 100*c.n + 1000*d.n + 10000*e.n + 100000*f.n + 1000000*g.n + 1 AS i
      FROM bench_digits a, bench_digits b, bench_digits c, bench_digits d, bench_digits e, bench_digits f,
           bench_digits g) s
WHERE i <= $rows;
SQL
# The same column types the results backend creates, so both paths write the same table.
dest_columns="id BIGINT NULL, user_id LONGTEXT NULL, amount DECIMAL(65,30) NULL, price DOUBLE NULL, entry_date DATE NULL,
  created_at DATETIME(6) NULL, is_paid TINYINT(1) NULL, note LONGTEXT NULL"

pipe_once() {
  mariadb "${dst[@]}" -e "DROP TABLE IF EXISTS bench_pipe; CREATE TABLE bench_pipe ($dest_columns) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
  local start end
  start=$(now)
  mariadb "${src[@]}" --quick --batch --skip-column-names -e "SELECT * FROM bench_entries" |
    mariadb "${dst[@]}" --local-infile=1 -e "LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE bench_pipe CHARACTER SET utf8mb4"
  end=$(now)
  local count
  count=$(mariadb "${dst[@]}" -N -e "SELECT COUNT(*) FROM bench_pipe")
  [[ "$count" == "$rows" ]] || { echo "pipe loaded $count rows, expected $rows" >&2; exit 1; }
  awk -v a="$start" -v b="$end" 'BEGIN {print b - a}'
}

echo "== starting sql-jobber"
mkdir -p "$work/sql"
cat >"$work/sql/bench.sql" <<'SQL'
-- name: bench_load_data
-- db: src
-- results: res_load_data
SELECT * FROM bench_entries;

-- name: bench_insert
-- db: src
-- results: res_insert
SELECT * FROM bench_entries;
SQL
port=$(jobber_free_port)
results_dsn="${JOBBER_TEST_MYSQL_RESULTS_DSN:-$JOBBER_TEST_MYSQL_DSN}"
cat >"$work/config.yaml" <<YAML
app:
  log_level: warning
  default_job_ttl: 1h
server:
  address: "127.0.0.1:$port"
job_queue:
  broker: {type: memory}
  state: {type: memory}
db:
  src: {type: mysql, dsn: "$JOBBER_TEST_MYSQL_DSN"}
results:
  res_load_data: {type: mysql, dsn: "$results_dsn", write_method: load_data}
  res_insert: {type: mysql, dsn: "$results_dsn", write_method: insert}
YAML
"$binary" --config "$work/config.yaml" --sql-directory "$work/sql" --worker-concurrency 1 >"$work/server.log" 2>&1 &
server_pid=$!
jobber_wait_for curl -sf "http://127.0.0.1:$port/health" || { cat "$work/server.log"; exit 1; }
rss_kb() { awk -v key="$1:" '$1 == key {print $2}' "/proc/$server_pid/status"; }
baseline_rss=$(rss_kb VmRSS)

job_once() {  # task, job id -> seconds
  local task="$1" id="$2" start end state=""
  start=$(now)
  curl -sf "http://127.0.0.1:$port/tasks/$task/jobs" -X POST --data "{\"job_id\": \"$id\"}" >/dev/null
  while :; do
    state=$(curl -sf "http://127.0.0.1:$port/jobs/$id" | sed -n 's/.*"state":"\([A-Z]*\)".*/\1/p')
    [[ "$state" == SUCCESS || "$state" == FAILURE ]] && break
    sleep 0.02
  done
  end=$(now)
  [[ "$state" == SUCCESS ]] || { curl -s "http://127.0.0.1:$port/jobs/$id" >&2; exit 1; }
  local count
  count=$(mariadb "${dst[@]}" -N -e "SELECT COUNT(*) FROM \`results_$id\`")
  [[ "$count" == "$rows" ]] || { echo "job $id wrote $count rows, expected $rows" >&2; exit 1; }
  mariadb "${dst[@]}" -e "DROP TABLE \`results_$id\`"
  awk -v a="$start" -v b="$end" 'BEGIN {print b - a}'
}

best() { printf '%s\n' "$@" | sort -g | head -1; }
pipe_times=() load_times=() insert_times=()
for ((run = 1; run <= runs; run++)); do
  echo "== run $run/$runs"
  pipe_times+=("$(pipe_once)")
  load_times+=("$(job_once bench_load_data "bench_load_$run")")
  insert_times+=("$(job_once bench_insert "bench_insert_$run")")
  echo "   pipe ${pipe_times[-1]}s  load_data ${load_times[-1]}s  insert ${insert_times[-1]}s"
done
peak_rss=$(rss_kb VmHWM)
pipe=$(best "${pipe_times[@]}") load=$(best "${load_times[@]}") insert=$(best "${insert_times[@]}")
mariadb "${src[@]}" -e "DROP TABLE IF EXISTS bench_digits, bench_entries"
mariadb "${dst[@]}" -e "DROP TABLE IF EXISTS bench_pipe"

echo
echo "rows:                          $rows (best of $runs runs)"
printf 'pipe (mariadb | LOAD DATA):    %.2f s\n' "$pipe"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {print a / b}'; }
printf 'sql-jobber, load_data:         %.2f s   ratio %.2fx\n' "$load" "$(ratio "$load" "$pipe")"
printf 'sql-jobber, insert:            %.2f s   ratio %.2fx\n' "$insert" "$(ratio "$insert" "$pipe")"
printf 'sql-jobber RSS: %d MiB after start-up, peak %d MiB (growth %d MiB)\n' \
  $((baseline_rss / 1024)) $((peak_rss / 1024)) $(((peak_rss - baseline_rss) / 1024))
