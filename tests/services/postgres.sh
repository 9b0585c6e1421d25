# Throw-away PostgreSQL server for the postgres plugin's integration and end-to-end tests.
# Sourced by scripts/run-tests.sh (through lib.sh). Exports:
#   JOBBER_TEST_POSTGRES_URI  libpq URI of a superuser on the server (database "postgres")
#   JOBBER_TEST_POSTGRES_CTL  a script taking stop|start|restart, for tests that take the server down
# When the server cannot start it prints a warning and leaves both unset; the tests then skip.

jobber_postgres_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then echo "$dir"; fi
  done | sort -V | tail -n 1
}

jobber_postgres_start() {
  local bindir base port user run log
  bindir="$(jobber_postgres_bindir)"
  if [[ -z "$bindir" ]]; then
    echo "WARNING: tests/services/postgres.sh: no initdb/pg_ctl under /usr/lib/postgresql/*/bin" \
      "(install postgresql-15); PostgreSQL tests will skip (JOBBER_TEST_POSTGRES_URI unset)" >&2
    return 0
  fi
  base="$(mktemp -d "${JOBBER_SERVICES_DIR:-/tmp}/postgres.XXXXXX")" || return 0
  jobber_on_exit "rm -rf '$base'"
  port="$(jobber_free_port)" || port=""
  if [[ -z "$port" ]]; then
    echo "WARNING: tests/services/postgres.sh: no free loopback port found; PostgreSQL tests will skip" >&2
    return 0
  fi
  log="$base/server.log"
  run=()
  # PostgreSQL refuses to run as root: as root, run it as nobody, who must own its directory and
  # be able to reach it.
  if [[ $(id -u) -eq 0 ]]; then
    user=nobody
    if ! chmod o+x "${JOBBER_SERVICES_DIR:-/tmp}" "$base" || ! chown "$user" "$base"; then
      echo "WARNING: tests/services/postgres.sh: cannot hand $base to $user; PostgreSQL tests will skip" >&2
      return 0
    fi
    run=(runuser -u "$user" --)
  fi
  if ! "${run[@]}" "$bindir/initdb" -D "$base/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$base/initdb.log" 2>&1; then
    echo "WARNING: tests/services/postgres.sh: initdb failed (see $base/initdb.log); PostgreSQL tests will skip" >&2
    return 0
  fi
  # Test data needs no durability: fsync off keeps set-up and the benchmarks free of disk flushes.
  cat >"$base/ctl.sh" <<CTL
#!/usr/bin/env bash
# stop | start | restart the throw-away PostgreSQL server of this test run.
exec ${run[*]} "$bindir/pg_ctl" -D "$base/data" -l "$log" -w -t 30 -m fast \\
  -o "-c listen_addresses=127.0.0.1 -p $port -k $base -c fsync=off -c synchronous_commit=off \\
      -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB" "\$@"
CTL
  chmod 755 "$base/ctl.sh"
  jobber_on_exit "'$base/ctl.sh' stop >/dev/null 2>&1"
  if ! "$base/ctl.sh" start >/dev/null 2>&1; then
    echo "WARNING: tests/services/postgres.sh: PostgreSQL did not start on 127.0.0.1:$port" \
      "(see $log); PostgreSQL tests will skip" >&2
    return 0
  fi
  if ! JOBBER_WAIT_SECONDS=15 jobber_wait_for "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    echo "WARNING: tests/services/postgres.sh: PostgreSQL on 127.0.0.1:$port does not accept connections" \
      "(see $log); PostgreSQL tests will skip" >&2
    return 0
  fi
  export JOBBER_TEST_POSTGRES_URI="postgresql://postgres@127.0.0.1:$port/postgres"
  export JOBBER_TEST_POSTGRES_CTL="$base/ctl.sh"
  echo "postgres: $JOBBER_TEST_POSTGRES_URI (ctl: $JOBBER_TEST_POSTGRES_CTL)"
}

jobber_postgres_start
