#!/usr/bin/env bash
# Make the machine's RabbitMQ usable by the pulumi-rabbitmq provider:
#   * starts the broker (rabbitmq-server -detached) if it is not running,
#   * enables the rabbitmq_management plugin (the provider talks to its HTTP API),
#   * waits until http://127.0.0.1:15672/api/overview answers for guest:guest.
#
# Env: MP_RABBITMQ_WAIT (seconds per wait, default 90),
#      MP_RABBITMQ_API (default http://127.0.0.1:15672).
# Idempotent: a second run returns as soon as the API answers.
set -euo pipefail

wait_s="${MP_RABBITMQ_WAIT:-90}"
api="${MP_RABBITMQ_API:-http://127.0.0.1:15672}"

log() { printf '[rabbitmq] %s\n' "$*" >&2; }
die() { printf '[rabbitmq] ERROR: %s\n' "$*" >&2; exit 1; }

for cmd in rabbitmqctl rabbitmq-plugins rabbitmq-server curl; do
  command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' not found (Debian package rabbitmq-server / curl)"
done

api_ok() {
  curl -fsS -m 5 -u guest:guest "$api/api/overview" -o /dev/null 2>/dev/null
}

if api_ok; then
  log "management API already answers at $api"
  exit 0
fi

# 1. Broker running?
if ! rabbitmqctl -q status >/dev/null 2>&1; then
  log "broker not running; starting it with 'rabbitmq-server -detached'"
  rabbitmq-server -detached
  # 'await_startup' blocks until the node has booted (or the timeout passes).
  if ! rabbitmqctl -q --timeout "$wait_s" await_startup >/dev/null 2>&1; then
    die "RabbitMQ did not start within ${wait_s}s (see /var/log/rabbitmq/)"
  fi
fi

# 2. Management plugin. Keep its listener on loopback for this running node
#    (an explicit management.tcp.* setting in rabbitmq.conf wins over this).
if ! rabbitmq-plugins -q is_enabled rabbitmq_management >/dev/null 2>&1; then
  rabbitmqctl -q eval \
    'case application:get_env(rabbitmq_management, tcp_config) of
       undefined -> application:set_env(rabbitmq_management, tcp_config, [{port, 15672}, {ip, "127.0.0.1"}]);
       _ -> ok
     end.' >/dev/null 2>&1 || true
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
