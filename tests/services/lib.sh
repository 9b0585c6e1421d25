# Helpers for the service scripts in this folder. Source it; do not run it.

# A free TCP port on 127.0.0.1 (the kernel picks it; a tiny race is acceptable in tests).
jobber_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen=>1,LocalAddr=>"127.0.0.1",LocalPort=>0)->sockport'
}

# Waits until `$@` succeeds, up to $JOBBER_WAIT_SECONDS (default 60).
jobber_wait_for() {
  local deadline=$((SECONDS + ${JOBBER_WAIT_SECONDS:-60}))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

JOBBER_STOP_COMMANDS=()
jobber_on_exit() { JOBBER_STOP_COMMANDS+=("$1"); }

jobber_stop_services() {
  local i
  for ((i = ${#JOBBER_STOP_COMMANDS[@]} - 1; i >= 0; i--)); do
    eval "${JOBBER_STOP_COMMANDS[$i]}" || true
  done
  JOBBER_STOP_COMMANDS=()
}

# Where the servers keep their data: tmpfs when it has room (4 GiB), else /tmp. On a shared VM disk the servers'
# fsyncs and file creation stalled under the parallel suite (RabbitMQ quorum confirms past their 5 s timeout,
# PostgreSQL table creation 3x slower); the tests are about behaviour, not the disk.
jobber_services_parent() {
  local avail
  if [[ -d /dev/shm && -w /dev/shm ]]; then
    avail="$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')"
    if [[ -n "$avail" && "$avail" -ge $((4 * 1024 * 1024)) ]]; then
      echo /dev/shm
      return
    fi
  fi
  echo /tmp
}

jobber_start_services() {
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  if [[ -z "${JOBBER_SERVICES_DIR:-}" ]]; then
    JOBBER_SERVICES_DIR="$(mktemp -d "$(jobber_services_parent)/jobber-services.XXXXXX")"
    # Registered first, so it runs last: once every service has stopped and removed its own directory.
    jobber_on_exit "rmdir '$JOBBER_SERVICES_DIR' 2>/dev/null"
  fi
  export JOBBER_SERVICES_DIR
  local script
  for script in "$here"/*.sh; do
    [[ "$(basename "$script")" == lib.sh ]] && continue
    # shellcheck source=/dev/null
    source "$script"
  done
}
