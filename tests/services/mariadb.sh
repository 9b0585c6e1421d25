# Starts a throw-away MariaDB server for the mysql plugin's integration tests. Sourced by
# scripts/run-tests.sh (through lib.sh's jobber_start_services); do not run it.
#
# The server lives in $JOBBER_SERVICES_DIR/mariadb (data, socket, log), listens on a free
# 127.0.0.1 port and runs as an unprivileged user (MariaDB refuses to run as root). Root may log in
# over the socket without a password; the tests use their own user. Exports:
#   JOBBER_TEST_MYSQL_DSN          mysql://jobber:...@127.0.0.1:PORT/jobber_test  (source tests)
#   JOBBER_TEST_MYSQL_RESULTS_DSN  the same user on database jobber_results        (results tests)
#   JOBBER_TEST_MYSQL_SOCKET       the server's unix socket
#   JOBBER_TEST_MYSQL_PORT         the TCP port
# When the server cannot start, it warns and exports nothing, so the tests skip instead of failing.

jobber_mariadb_warn() {
  echo "WARNING: tests/services/mariadb.sh: $*; JOBBER_TEST_MYSQL_DSN stays unset and the mysql integration tests skip" >&2
}

jobber_start_mariadb() {
  local mariadbd install_db client
  mariadbd="$(command -v mariadbd || true)"
  [[ -z "$mariadbd" && -x /usr/sbin/mariadbd ]] && mariadbd=/usr/sbin/mariadbd
  install_db="$(command -v mariadb-install-db || true)"
  client="$(command -v mariadb || true)"
  if [[ -z "$mariadbd" || -z "$install_db" || -z "$client" ]]; then
    jobber_mariadb_warn "mariadbd, mariadb-install-db or mariadb not found (install mariadb-server and mariadb-client)"
    return 0
  fi

  local dir="$JOBBER_SERVICES_DIR/mariadb"
  local port
  port="$(jobber_free_port)"
  mkdir -p "$dir/data"

  # As root, hand the directory to an unprivileged user and let mariadbd switch to it; the path
  # down to it must be traversable by that user.
  local user_args=()
  if [[ $(id -u) -eq 0 ]]; then
    local run_as=nobody
    chmod o+x "$JOBBER_SERVICES_DIR"
    chown -R "$run_as" "$dir"
    user_args=(--user="$run_as")
  fi

  # Durability is off: the data is thrown away. The same InnoDB settings go to the bootstrap, so
  # the server does not resize the redo log when it starts.
  local innodb_args=(--innodb-log-file-size=256M --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0
    --innodb-flush-method=nosync)
  # --no-defaults: nothing from /etc/mysql leaks in.
  local server_args=(
    --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" --port="$port" --bind-address=127.0.0.1
    --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" "${user_args[@]}" "${innodb_args[@]}"
    --skip-name-resolve --skip-log-bin --performance-schema=OFF --local-infile=1
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --max-connections=300
    --max-allowed-packet=256M --innodb-buffer-pool-size=512M --sync-binlog=0)

  if ! "$install_db" --no-defaults --datadir="$dir/data" "${user_args[@]}" "${innodb_args[@]}" \
      --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve >"$dir/install.log" 2>&1; then
    jobber_mariadb_warn "mariadb-install-db failed (see $dir/install.log)"
    return 0
  fi

  "$mariadbd" "${server_args[@]}" >>"$dir/error.log" 2>&1 &
  local pid=$!
  jobber_on_exit "jobber_stop_mariadb $pid '$dir'"

  local root_client=("$client" --no-defaults --protocol=socket --socket="$dir/mysqld.sock" -uroot)
  local deadline=$((SECONDS + 30))
  until "${root_client[@]}" -e "SELECT 1" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      jobber_mariadb_warn "mariadbd exited at start-up (see $dir/error.log)"
      return 0
    fi
    if ((SECONDS >= deadline)); then
      jobber_mariadb_warn "mariadbd did not accept connections within 30s (see $dir/error.log)"
      return 0
    fi
    sleep 0.1
  done

  local password="jobber-test-pw"
  if ! "${root_client[@]}" <<SQL >>"$dir/install.log" 2>&1; then
DROP USER IF EXISTS ''@'localhost', ''@'%';
CREATE DATABASE jobber_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE DATABASE jobber_results CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER 'jobber'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`jobber\\_%\`.* TO 'jobber'@'%';
SQL
    jobber_mariadb_warn "creating the test user and databases failed (see $dir/install.log)"
    return 0
  fi

  export JOBBER_TEST_MYSQL_DSN="mysql://jobber:$password@127.0.0.1:$port/jobber_test"
  export JOBBER_TEST_MYSQL_RESULTS_DSN="mysql://jobber:$password@127.0.0.1:$port/jobber_results"
  export JOBBER_TEST_MYSQL_SOCKET="$dir/mysqld.sock"
  export JOBBER_TEST_MYSQL_PORT="$port"
  echo "mariadb: listening on 127.0.0.1:$port (data in $dir)"
}

jobber_stop_mariadb() {  # pid, dir
  local pid="$1" dir="$2" i
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null
  fi
  rm -rf "$dir"
}

jobber_start_mariadb
