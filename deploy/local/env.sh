# Shared settings of the local servers. Sourced by the other scripts; override any of them in the environment.
# shellcheck shell=bash
DEPLOY_LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KHO_CACHE=${KHO_CACHE:-$HOME/.cache/kho-du-lieu}
KHO_DATA=${KHO_DATA:-$KHO_CACHE/data}
KHO_LOGS=${KHO_LOGS:-$KHO_CACHE/logs}
KHO_RUN=${KHO_RUN:-$KHO_CACHE/run}

KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
FERRETDB_VERSION=${FERRETDB_VERSION:-v1.24.2}
# SeaweedFS publishes no Go module tags; this pseudo-version pins one commit of its main branch.
SEAWEEDFS_VERSION=${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}

KAFKA_HOME=$KHO_CACHE/kafka-$KAFKA_VERSION
# Our patches to FerretDB (deploy/local/ferretdb/*.patch) are part of the binary's name: changing them rebuilds it.
FERRETDB_PATCHES=$(cat "$DEPLOY_LOCAL_DIR"/ferretdb/*.patch 2>/dev/null | sha256sum | cut -c1-8)
FERRETDB_BIN=$KHO_CACHE/bin/ferretdb-$FERRETDB_VERSION-$FERRETDB_PATCHES
WEED_BIN=$KHO_CACHE/bin/weed-$SEAWEEDFS_VERSION

KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
FERRETDB_PORT=${FERRETDB_PORT:-27017}
# FerretDB stores its data in PostgreSQL (Debian's package), on a private port.
POSTGRES_PORT=${POSTGRES_PORT:-54329}
POSTGRES_USER=${POSTGRES_USER:-kho}
# PostgreSQL refuses to run as root: under root it runs as the `postgres` user, which cannot enter /root.
if [ "$(id -u)" -eq 0 ]; then POSTGRES_DATA=${POSTGRES_DATA:-/var/lib/kho-du-lieu/postgres}
else POSTGRES_DATA=${POSTGRES_DATA:-$KHO_DATA/postgres}; fi
S3_PORT=${S3_PORT:-8333}
# The development identity provider (deploy/local/idp), standing in for the national portal / VNeID login.
IDP_PORT=${IDP_PORT:-8090}
IDP_HOME=$KHO_CACHE/idp
SEAWEED_MASTER_PORT=${SEAWEED_MASTER_PORT:-9333}
SEAWEED_VOLUME_PORT=${SEAWEED_VOLUME_PORT:-18080}
SEAWEED_FILER_PORT=${SEAWEED_FILER_PORT:-18888}
# Development-only credentials of the local S3 server (never used outside this machine).
S3_ACCESS_KEY=${S3_ACCESS_KEY:-kho-local-access}
S3_SECRET_KEY=${S3_SECRET_KEY:-kho-local-secret-change-me}

# uv installed by provision.sh with `pip install --user` lands here.
case ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) PATH="$HOME/.local/bin:$PATH" ;; esac
export PATH


say() { printf '%s\n' "$*" >&2; }
fail() { # step, log file
  say "FAILED: $1"
  [ -n "${2:-}" ] && { say "  log: $2"; tail -n 30 "$2" 2>/dev/null | sed 's/^/  | /' >&2; }
  exit 1
}
postgres_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # description, seconds, command...
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.5
  done
  say "  $what is up"
}
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
