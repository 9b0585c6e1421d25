# Throw-away RabbitMQ node for the amqp plugin's contract, integration and benchmark runs.
# Sourced by scripts/run-tests.sh (through lib.sh). Exports:
#   JOBBER_TEST_AMQP_URL  amqp://user:password@127.0.0.1:port/vhost of the node (the plugin's `url` key)
#   JOBBER_TEST_AMQP_CTL  a script taking stop|start|restart, for tests that take the node down
# Debian's rabbitmq-server (no management plugin, no other plugins), run from /usr/lib/rabbitmq/bin directly (the
# /usr/sbin wrappers switch to the rabbitmq user and its shared /var/lib/rabbitmq): a unique node name, its own
# epmd port, AMQP and distribution ports, data, logs, config and Erlang cookie ($HOME) in a temp dir, so it runs
# as root on a fresh CI machine and next to any other node. Messages and queues survive a restart (durable).
# When the node cannot start it prints a warning and leaves both unset; the tests then skip.
#
# TLS (off unless asked for; the default node has no TLS listener): with JOBBER_RABBITMQ_TLS_CA, _CERT and _KEY naming
# PEM files (CA bundle, server certificate, its unencrypted key), the node also listens for amqps on a free loopback
# port and exports JOBBER_TEST_AMQPS_URL (amqps://user:password@127.0.0.1:port/vhost). JOBBER_RABBITMQ_TLS_VERIFY
# (verify_peer, the default, or verify_none) and JOBBER_RABBITMQ_TLS_FAIL_IF_NO_PEER_CERT (false, the default, or
# true: mutual TLS) become ssl_options.verify and ssl_options.fail_if_no_peer_cert.

jobber_rabbitmq_start() {
  local bin=/usr/lib/rabbitmq/bin base port dist epmd node
  if [[ ! -x "$bin/rabbitmq-server" ]] || ! command -v epmd >/dev/null; then
    echo "WARNING: tests/services/rabbitmq.sh: rabbitmq-server not found (install rabbitmq-server);" \
      "AMQP tests will skip (JOBBER_TEST_AMQP_URL unset)" >&2
    return 0
  fi
  base="$(mktemp -d "${JOBBER_SERVICES_DIR:-/tmp}/rabbitmq.XXXXXX")" || return 0
  port="$(jobber_free_port)"
  dist="$(jobber_free_port)"
  epmd="$(jobber_free_port)"
  node="jobber-test-$$-${RANDOM}@localhost"
  mkdir -p "$base/home" "$base/mnesia" "$base/log"
  echo "[]." >"$base/enabled_plugins"
  cat >"$base/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$port
default_user = jobber
default_pass = jobber-test-pass
default_vhost = jobber-test
loopback_users = none
log.console = false
log.file.level = warning
CONF
  local tls_port=""
  if [[ -n "${JOBBER_RABBITMQ_TLS_CA:-}" && -n "${JOBBER_RABBITMQ_TLS_CERT:-}" && -n "${JOBBER_RABBITMQ_TLS_KEY:-}" ]]; then
    tls_port="$(jobber_free_port)"
    cat >>"$base/rabbitmq.conf" <<CONF
listeners.ssl.default = 127.0.0.1:$tls_port
ssl_options.cacertfile = $JOBBER_RABBITMQ_TLS_CA
ssl_options.certfile = $JOBBER_RABBITMQ_TLS_CERT
ssl_options.keyfile = $JOBBER_RABBITMQ_TLS_KEY
ssl_options.verify = ${JOBBER_RABBITMQ_TLS_VERIFY:-verify_peer}
ssl_options.fail_if_no_peer_cert = ${JOBBER_RABBITMQ_TLS_FAIL_IF_NO_PEER_CERT:-false}
CONF
  fi
  cat >"$base/env.sh" <<ENV
export HOME="$base/home"
export RABBITMQ_NODENAME="$node"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$port
export RABBITMQ_DIST_PORT=$dist
export ERL_EPMD_PORT=$epmd
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_MNESIA_BASE="$base/mnesia"
export RABBITMQ_LOG_BASE="$base/log"
export RABBITMQ_CONFIG_FILE="$base/rabbitmq"
export RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins"
export RABBITMQ_PID_FILE="$base/rabbitmq.pid"
ENV
  cat >"$base/ctl.sh" <<CTL
#!/usr/bin/env bash
# stop | start | restart | kill-epmd the throw-away RabbitMQ node of this test run (data in $base).
set -u
source "$base/env.sh"
running() { [[ -s "$base/beam.pid" ]] && kill -0 "\$(cat "$base/beam.pid")" 2>/dev/null; }
start() {
  running && return 0
  "$bin/rabbitmq-server" -detached >>"$base/log/start.log" 2>&1 || return 1
  # The AMQP listener opens at the very end of the boot: a TCP connect is the cheapest readiness check
  # (rabbitmqctl await_startup costs an Erlang VM start per call).
  for _ in \$(seq 1 600); do
    if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && { [[ -z "$tls_port" ]] || (exec 3<>/dev/tcp/127.0.0.1/$tls_port) 2>/dev/null; }; then
      cp "$base/rabbitmq.pid" "$base/beam.pid" 2>/dev/null || pgrep -f -- "-sname $node|-name $node|$node" | head -1 >"$base/beam.pid"
      return 0
    fi
    sleep 0.1
  done
  return 1
}
stop() {
  running || return 0
  local pid
  pid="\$(cat "$base/beam.pid")"
  # SIGTERM: RabbitMQ shuts down in order (queues and messages are on disk when it exits).
  kill -TERM "\$pid" 2>/dev/null
  for _ in \$(seq 1 300); do
    kill -0 "\$pid" 2>/dev/null || { rm -f "$base/beam.pid"; return 0; }
    sleep 0.1
  done
  kill -KILL "\$pid" 2>/dev/null
  rm -f "$base/beam.pid"
}
case "\${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) stop && start ;;
  kill-epmd) epmd -port $epmd -kill >/dev/null 2>&1 || true ;;
  *) echo "usage: \$0 stop|start|restart|kill-epmd" >&2; exit 2 ;;
esac
CTL
  chmod 755 "$base/ctl.sh"
  if ! "$base/ctl.sh" start; then
    echo "WARNING: tests/services/rabbitmq.sh: RabbitMQ did not start on 127.0.0.1:$port" \
      "(see $base/log); AMQP tests will skip (JOBBER_TEST_AMQP_URL unset)" >&2
    "$base/ctl.sh" stop
    "$base/ctl.sh" kill-epmd
    return 0
  fi
  jobber_on_exit "'$base/ctl.sh' stop; '$base/ctl.sh' kill-epmd; rm -rf '$base'"
  export JOBBER_TEST_AMQP_URL="amqp://jobber:jobber-test-pass@127.0.0.1:$port/jobber-test"
  export JOBBER_TEST_AMQP_CTL="$base/ctl.sh"
  echo "rabbitmq: amqp://jobber@127.0.0.1:$port/jobber-test (ctl: $JOBBER_TEST_AMQP_CTL)"
  if [[ -n "$tls_port" ]]; then
    export JOBBER_TEST_AMQPS_URL="amqps://jobber:jobber-test-pass@127.0.0.1:$tls_port/jobber-test"
    echo "rabbitmq: amqps://jobber@127.0.0.1:$tls_port/jobber-test"
  fi
}

jobber_rabbitmq_start
