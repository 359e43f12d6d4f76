#!/usr/bin/env bash
# Starts or stops the five services as local processes (logs and pid files in the cache).
#   scripts/services.sh start [service...] | stop [service...] | status
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/local/env.sh

ALL_SERVICES=(vault signature submission feedback notify)
declare -A PORTS=([vault]=8101 [signature]=8102 [submission]=8103 [feedback]=8104 [notify]=8105)

start_one() {
  local name=$1 port=${PORTS[$1]} pidf=$KHO_RUN/service-$1.pid log=$KHO_LOGS/service-$1.log
  if pid_alive "$pidf"; then return 0; fi
  port_open "$port" && fail "$name: port $port is taken by another process"
  KHO_HTTP_PORT=$port nohup uv run --frozen --no-sync python -m "kho_$name" >>"$log" 2>&1 &
  echo $! >"$pidf"
}

ready() { curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; }

case "${1:-start}" in
  start)
    shift || true
    services=("${@:-${ALL_SERVICES[@]}}")
    [ $# -eq 0 ] && services=("${ALL_SERVICES[@]}")
    for s in "${services[@]}"; do start_one "$s"; done
    for s in "${services[@]}"; do
      deadline=$((SECONDS + 120))
      until ready "${PORTS[$s]}"; do
        pid_alive "$KHO_RUN/service-$s.pid" || fail "$s: the process exited" "$KHO_LOGS/service-$s.log"
        [ $SECONDS -ge $deadline ] && fail "$s: /readyz did not answer ready on port ${PORTS[$s]}" "$KHO_LOGS/service-$s.log"
        sleep 0.5
      done
      say "  $s is ready on http://127.0.0.1:${PORTS[$s]}"
    done ;;
  stop)
    shift || true
    services=("${@}")
    [ $# -eq 0 ] && services=("${ALL_SERVICES[@]}")
    for s in "${services[@]}"; do
      pidf=$KHO_RUN/service-$s.pid
      if pid_alive "$pidf"; then
        pkill -TERM -P "$(cat "$pidf")" 2>/dev/null || true
        kill "$(cat "$pidf")" 2>/dev/null || true
        say "stopped $s"
      fi
      rm -f "$pidf"
    done ;;
  status)
    for s in "${ALL_SERVICES[@]}"; do
      if ready "${PORTS[$s]}"; then echo "$s: ready on http://127.0.0.1:${PORTS[$s]}"
      else echo "$s: not ready (log: $KHO_LOGS/service-$s.log)"; fi
    done ;;
  *) say "usage: $0 start|stop|status [service...]"; exit 2 ;;
esac
