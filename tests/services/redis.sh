# Throw-away Redis server for the redis plugin's contract, integration and benchmark runs.
# Sourced by scripts/run-tests.sh (through lib.sh). Exports:
#   JOBBER_TEST_REDIS_ADDRESS  host:port of the server (the plugin's `address` key)
#   JOBBER_TEST_REDIS_CTL      a script taking stop|start|restart, for tests that take the server down
# Persistence is on (AOF, fsync once a second; a clean shutdown flushes it) in a temp dir, so a restart keeps what
# was accepted.
# When the server cannot start it prints a warning and leaves both unset; the tests then skip.

jobber_redis_start() {
  local server cli base port user run
  server="$(command -v redis-server || true)"
  cli="$(command -v redis-cli || true)"
  if [[ -z "$server" || -z "$cli" ]]; then
    echo "WARNING: tests/services/redis.sh: redis-server or redis-cli not found (install redis-server);" \
      "Redis tests will skip (JOBBER_TEST_REDIS_ADDRESS unset)" >&2
    return 0
  fi
  base="$(mktemp -d "${JOBBER_SERVICES_DIR:-/tmp}/redis.XXXXXX")" || return 0
  port="$(jobber_free_port)"
  run=()
  # Redis runs as root, but need not: as root, run it as nobody, who owns its directory.
  if [[ $(id -u) -eq 0 ]]; then
    user=nobody
    chmod o+x "${JOBBER_SERVICES_DIR:-/tmp}" "$base"
    chown "$user" "$base"
    run=(runuser -u "$user" --)
  fi
  cat >"$base/ctl.sh" <<CTL
#!/usr/bin/env bash
# stop | start | restart the throw-away Redis server of this test run (persistence in $base).
set -u
start() {
  ${run[*]} "$server" --port $port --bind 127.0.0.1 --dir "$base" --appendonly yes --appendfsync everysec \\
    --save "" --daemonize yes --pidfile "$base/redis.pid" --logfile "$base/server.log" || return 1
  for _ in \$(seq 1 100); do
    "$cli" -p $port ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.05
  done
  return 1
}
stop() {
  "$cli" -p $port shutdown >/dev/null 2>&1 || true
  for _ in \$(seq 1 100); do
    "$cli" -p $port ping >/dev/null 2>&1 || return 0
    sleep 0.05
  done
  return 1
}
case "\${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  *) echo "usage: \$0 stop|start|restart" >&2; exit 2 ;;
esac
CTL
  chmod 755 "$base/ctl.sh"
  if ! "$base/ctl.sh" start; then
    echo "WARNING: tests/services/redis.sh: redis-server did not start on 127.0.0.1:$port" \
      "(see $base/server.log); Redis tests will skip (JOBBER_TEST_REDIS_ADDRESS unset)" >&2
    return 0
  fi
  jobber_on_exit "'$base/ctl.sh' stop; rm -rf '$base'"
  export JOBBER_TEST_REDIS_ADDRESS="127.0.0.1:$port"
  export JOBBER_TEST_REDIS_CTL="$base/ctl.sh"
  echo "redis: $JOBBER_TEST_REDIS_ADDRESS (ctl: $JOBBER_TEST_REDIS_CTL)"
}

jobber_redis_start
