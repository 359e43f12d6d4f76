#!/usr/bin/env bash
# Starts, checks and stops the local servers: Apache Kafka (KRaft), PostgreSQL with FerretDB in front of it
# (MongoDB wire protocol), SeaweedFS (S3) and the development identity provider.
#   servers.sh start|stop|status|reset
# Starting is idempotent: a server that already answers is left alone.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$KHO_DATA" "$KHO_LOGS" "$KHO_RUN"

start_kafka() {
  local pidf=$KHO_RUN/kafka.pid log=$KHO_LOGS/kafka.log
  if pid_alive "$pidf" && port_open "$KAFKA_PORT"; then return 0; fi
  port_open "$KAFKA_PORT" && fail "kafka: port $KAFKA_PORT is taken by another process"
  [ -f "$KAFKA_HOME/.complete" ] || fail "kafka: not provisioned, run deploy/local/provision.sh"
  local conf=$KHO_DATA/kafka/server.properties cp="$KAFKA_HOME/libs/*"
  mkdir -p "$KHO_DATA/kafka/logs"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@KAFKA_DATA@|$KHO_DATA/kafka/logs|g" "$DEPLOY_LOCAL_DIR/kafka/server.properties.template" >"$conf"
  local jvm=(java -Xms256m -Xmx512m -XX:+UseG1GC -Dlog4j2.configurationFile="$DEPLOY_LOCAL_DIR/kafka/log4j2.yaml" -cp "$cp")
  if [ ! -f "$KHO_DATA/kafka/logs/meta.properties" ]; then
    local cluster_id
    cluster_id=$("${jvm[@]}" kafka.tools.StorageTool random-uuid 2>>"$log" | tail -n1) || fail "kafka: random-uuid" "$log"
    "${jvm[@]}" kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$conf" >>"$log" 2>&1 \
      || fail "kafka: storage format" "$log"
  fi
  say "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  nohup "${jvm[@]}" kafka.Kafka "$conf" >>"$log" 2>&1 &
  echo $! >"$pidf"
  wait_for "Kafka" 90 port_open "$KAFKA_PORT" || fail "kafka: did not answer on port $KAFKA_PORT" "$log"
}

as_postgres() { # runs a PostgreSQL command as the user that owns the data
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local log=$KHO_LOGS/postgres.log server_log=$POSTGRES_DATA/server.log bin
  bin=$(postgres_bin)
  [ -n "$bin" ] || fail "postgres: not installed, run deploy/local/provision.sh"
  if as_postgres "$bin/pg_ctl" -D "$POSTGRES_DATA" status >/dev/null 2>&1 && port_open "$POSTGRES_PORT"; then return 0; fi
  port_open "$POSTGRES_PORT" && fail "postgres: port $POSTGRES_PORT is taken by another process"
  if [ ! -f "$POSTGRES_DATA/PG_VERSION" ]; then
    mkdir -p "$POSTGRES_DATA"
    [ "$(id -u)" -eq 0 ] && chown postgres "$POSTGRES_DATA"
    as_postgres "$bin/initdb" -D "$POSTGRES_DATA" -U "$POSTGRES_USER" --auth=trust -E UTF8 --locale=C.UTF-8 >>"$log" 2>&1 \
      || fail "postgres: initdb in $POSTGRES_DATA" "$log"
  fi
  say "starting PostgreSQL on 127.0.0.1:$POSTGRES_PORT (data: $POSTGRES_DATA)"
  # Local development and tests only: durability is traded for speed.
  # The server's own log lives in its data folder (the postgres user may not write to $KHO_LOGS).
  as_postgres "$bin/pg_ctl" -D "$POSTGRES_DATA" -l "$server_log" -w -t 60 start -o "-p $POSTGRES_PORT \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c max_connections=300 -c shared_buffers=256MB" >/dev/null \
    || fail "postgres: pg_ctl start" "$server_log"
  wait_for "PostgreSQL" 60 port_open "$POSTGRES_PORT" || fail "postgres: did not answer on port $POSTGRES_PORT" "$server_log"
  "$bin/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'" | grep -q 1 \
    || "$bin/createdb" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" ferretdb >>"$log" 2>&1 \
    || fail "postgres: createdb ferretdb" "$log"
}

stop_postgres() {
  local bin; bin=$(postgres_bin)
  [ -n "$bin" ] && [ -f "$POSTGRES_DATA/PG_VERSION" ] || return 0
  if as_postgres "$bin/pg_ctl" -D "$POSTGRES_DATA" status >/dev/null 2>&1; then
    as_postgres "$bin/pg_ctl" -D "$POSTGRES_DATA" -m fast -w stop >/dev/null && say "stopped postgres"
  fi
}

start_ferretdb() {
  local pidf=$KHO_RUN/ferretdb.pid log=$KHO_LOGS/ferretdb.log
  if pid_alive "$pidf" && port_open "$FERRETDB_PORT"; then return 0; fi
  port_open "$FERRETDB_PORT" && fail "ferretdb: port $FERRETDB_PORT is taken by another process"
  [ -x "$FERRETDB_BIN" ] || fail "ferretdb: not provisioned, run deploy/local/provision.sh"
  say "starting FerretDB $FERRETDB_VERSION on 127.0.0.1:$FERRETDB_PORT"
  # FerretDB 1.24 keeps a document in one jsonb column, mostly out of line (TOAST) when it is large. The planner
  # then costs a scan of the few table pages below the `_id` index, not seeing that the scan unpacks every row
  # to read its `_id` (10 ms instead of 0.1 ms at 200 vaults). FerretDB only ever sends conditions the `_id`
  # index answers or none at all, so scans are turned off wherever an index applies.
  local bin; bin=$(postgres_bin)
  "$bin/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U "$POSTGRES_USER" -d postgres -qc \
    "ALTER DATABASE ferretdb SET enable_seqscan = off" >>"$log" 2>&1 || fail "ferretdb: configuring its database" "$log"
  nohup "$FERRETDB_BIN" --handler=postgresql \
    --postgresql-url="postgres://$POSTGRES_USER@127.0.0.1:$POSTGRES_PORT/ferretdb?pool_max_conns=100" \
    --listen-addr="127.0.0.1:$FERRETDB_PORT" --debug-addr=- --telemetry=disable --log-level=warn \
    >>"$log" 2>&1 &
  echo $! >"$pidf"
  wait_for "FerretDB" 60 port_open "$FERRETDB_PORT" || fail "ferretdb: did not answer on port $FERRETDB_PORT" "$log"
}

start_seaweedfs() {
  local pidf=$KHO_RUN/seaweedfs.pid log=$KHO_LOGS/seaweedfs.log
  if pid_alive "$pidf" && port_open "$S3_PORT"; then return 0; fi
  port_open "$S3_PORT" && fail "seaweedfs: port $S3_PORT is taken by another process"
  [ -x "$WEED_BIN" ] || fail "seaweedfs: not provisioned, run deploy/local/provision.sh"
  mkdir -p "$KHO_DATA/seaweedfs"
  local s3conf=$KHO_DATA/seaweedfs/s3.json
  cat >"$s3conf" <<JSON
{"identities": [{"name": "kho-local", "credentials": [{"accessKey": "$S3_ACCESS_KEY", "secretKey": "$S3_SECRET_KEY"}],
  "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}
JSON
  # Each bucket is a SeaweedFS collection with volumes of its own: grow one volume at a time (the default
  # is seven) and allow many, or the volume slots run out after a few dozen buckets.
  cat >"$KHO_DATA/seaweedfs/master.toml" <<TOML
[master.volume_growth]
copy_1 = 1
copy_other = 1
TOML
  say "starting SeaweedFS S3 on 127.0.0.1:$S3_PORT"
  (cd "$KHO_DATA/seaweedfs" && exec nohup "$WEED_BIN" server -dir="$KHO_DATA/seaweedfs" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -master.port="$SEAWEED_MASTER_PORT" -volume.port="$SEAWEED_VOLUME_PORT" -filer -filer.port="$SEAWEED_FILER_PORT" \
    -s3 -s3.port="$S3_PORT" -s3.config="$s3conf" -volume.max=2000 -master.volumeSizeLimitMB=64 \
    >>"$log" 2>&1) &
  echo $! >"$pidf"
  wait_for "SeaweedFS S3" 90 s3_answers || fail "seaweedfs: S3 gateway did not answer on port $S3_PORT" "$log"
}
s3_answers() { curl -fsS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S3_PORT/healthz" | grep -q 200; }

start_idp() {
  local pidf=$KHO_RUN/idp.pid log=$KHO_LOGS/idp.log
  if pid_alive "$pidf" && port_open "$IDP_PORT"; then return 0; fi
  port_open "$IDP_PORT" && fail "idp: port $IDP_PORT is taken by another process"
  [ -d "$IDP_HOME/node_modules" ] || fail "idp: not provisioned, run deploy/local/provision.sh"
  # The script runs from the cache, where its node_modules are; its signing key stays there too.
  cp "$DEPLOY_LOCAL_DIR/idp/server.mjs" "$DEPLOY_LOCAL_DIR/idp/accounts.json" "$IDP_HOME/"
  say "starting the development identity provider on http://127.0.0.1:$IDP_PORT"
  (cd "$IDP_HOME" && KHO_IDP_PORT=$IDP_PORT KHO_IDP_KEY_FILE=$IDP_HOME/signing-key.json exec nohup node server.mjs \
    >>"$log" 2>&1) &
  echo $! >"$pidf"
  wait_for "identity provider" 30 port_open "$IDP_PORT" || fail "idp: did not answer on port $IDP_PORT" "$log"
}

stop_one() {
  local name=$1 pidf=$KHO_RUN/$1.pid
  pid_alive "$pidf" || { rm -f "$pidf"; return 0; }
  local pid; pid=$(cat "$pidf")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidf"
  say "stopped $name"
}

status() {
  local rc=0
  for s in kafka:$KAFKA_PORT postgres:$POSTGRES_PORT ferretdb:$FERRETDB_PORT seaweedfs:$S3_PORT idp:$IDP_PORT; do
    local name=${s%%:*} port=${s##*:}
    if { [ "$name" = postgres ] || pid_alive "$KHO_RUN/$name.pid"; } && port_open "$port"; then
      echo "$name: up on 127.0.0.1:$port"
    else echo "$name: down"; rc=1; fi
  done
  return $rc
}

case "${1:-start}" in
  start) start_kafka; start_postgres; start_ferretdb; start_seaweedfs; start_idp ;;
  stop) stop_one idp; stop_one seaweedfs; stop_one ferretdb; stop_postgres; stop_one kafka ;;
  status) status ;;
  reset) "$0" stop; rm -rf "$KHO_DATA" "$POSTGRES_DATA"; say "local server data removed" ;;
  *) say "usage: $0 start|stop|status|reset"; exit 2 ;;
esac
