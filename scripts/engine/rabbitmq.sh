#!/usr/bin/env bash
# Make the machine's RabbitMQ usable by the pulumi-rabbitmq provider:
#   * installs Debian's rabbitmq-server when it is missing (as root: CI runs as root; anyone else is told what to
#     install),
#   * starts the broker (rabbitmq-server -detached) if it is not running,
#   * enables the rabbitmq_management plugin (the provider talks to its HTTP API),
#   * waits until http://127.0.0.1:15672/api/overview answers for guest:guest.
#
# Env: MP_RABBITMQ_WAIT (seconds per wait, default 90),
#      MP_RABBITMQ_API (default http://127.0.0.1:15672).
# Idempotent: a second run only checks (about 2 s).
set -euo pipefail

wait_s="${MP_RABBITMQ_WAIT:-90}"
api="${MP_RABBITMQ_API:-http://127.0.0.1:15672}"

# Written when this script starts the broker; the test run that started it stops it at its end.
started_marker="${MP_RABBITMQ_STARTED_MARKER:-${XDG_CACHE_HOME:-$HOME/.cache}/messaging-platform/rabbitmq-started-by-tests}"

log() { printf '[rabbitmq] %s\n' "$*" >&2; }
die() { printf '[rabbitmq] ERROR: %s\n' "$*" >&2; exit 1; }

if ! command -v rabbitmq-server >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    die "RabbitMQ is not installed: run 'sudo apt-get install rabbitmq-server' (Debian), or run the tests as root to have it installed"
  fi
  log "installing Debian's rabbitmq-server (apt-get)"
  started=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || die "'apt-get update' failed"
  apt-get install -y -q --no-install-recommends rabbitmq-server >/dev/null || die "'apt-get install rabbitmq-server' failed"
  log "installed $(dpkg-query -W -f '${Version}' rabbitmq-server) in $((SECONDS - started)) s"
fi

for cmd in rabbitmqctl rabbitmq-plugins rabbitmq-server curl; do
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found (Debian package rabbitmq-server / curl)"
done

api_ok() {
  curl -fsS -m 5 -u guest:guest "$api/api/overview" -o /dev/null 2>/dev/null
}

# 1. Broker running?
if ! rabbitmqctl -q status >/dev/null 2>&1; then
  log "broker not running; starting it with 'rabbitmq-server -detached'"
  rabbitmq-server -detached
  # The test runs stop what they started (test/support/services.ts): this says it was them.
  mkdir -p "$(dirname "$started_marker")" && date -u +%FT%TZ > "$started_marker"
  # The node takes a moment to accept CLI connections; then wait for the boot to finish.
  deadline=$((SECONDS + wait_s))
  until rabbitmqctl -q await_startup --timeout 10 >/dev/null 2>&1; do
    (( SECONDS < deadline )) || die "RabbitMQ did not start within ${wait_s}s (see /var/log/rabbitmq/)"
    sleep 1
  done
fi

# 2. Management plugin, with its listener on loopback. The listener setting is
#    applied at run time (the Debian wrapper drops the environment of
#    rabbitmq-server); an explicit management.tcp.* in rabbitmq.conf wins.
tcp_config=$(rabbitmqctl -q eval 'application:get_env(rabbitmq_management, tcp_config).' 2>/dev/null || true)
if [[ "$tcp_config" == undefined ]]; then
  if rabbitmq-plugins -q is_enabled rabbitmq_management >/dev/null 2>&1; then
    log "re-enabling rabbitmq_management to move its listener to 127.0.0.1"
    rabbitmq-plugins -q disable rabbitmq_management >/dev/null   # unloads it, clearing its env
  fi
  rabbitmqctl -q eval 'application:set_env(rabbitmq_management, tcp_config, [{port, 15672}, {ip, "127.0.0.1"}]).' >/dev/null
fi
if ! rabbitmq-plugins -q is_enabled rabbitmq_management >/dev/null 2>&1; then
  log "enabling rabbitmq_management"
  rabbitmq-plugins -q enable rabbitmq_management >/dev/null \
    || die "'rabbitmq-plugins enable rabbitmq_management' failed"
fi

# 3. Wait for the HTTP API (bounded).
deadline=$((SECONDS + wait_s))
until api_ok; do
  if (( SECONDS >= deadline )); then
    code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -u guest:guest "$api/api/overview" || true)
    die "management API at $api/api/overview did not answer 200 for guest:guest within ${wait_s}s (last HTTP status: ${code:-none})"
  fi
  sleep 1
done
log "management API ready at $api (guest:guest)"
