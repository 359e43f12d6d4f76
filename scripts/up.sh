#!/usr/bin/env bash
# Starts the whole platform locally: provisions the servers on first use, starts Kafka, FerretDB and the
# S3 server, then the five services, and prints where they answer.
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/local/env.sh
deploy/local/provision.sh
uv sync --frozen --quiet
deploy/local/servers.sh start
scripts/services.sh start
cat <<INFO

Kho dữ liệu is running:
  vault       http://127.0.0.1:8101/docs
  signature   http://127.0.0.1:8102/docs
  submission  http://127.0.0.1:8103/docs
  feedback    http://127.0.0.1:8104/docs
  notify      http://127.0.0.1:8105/docs
  Kafka 127.0.0.1:$KAFKA_PORT · FerretDB mongodb://127.0.0.1:$FERRETDB_PORT · S3 http://127.0.0.1:$S3_PORT
  Sign-in (development accounts): http://127.0.0.1:$IDP_PORT — a token for curl:
    TOKEN=\$(uv run python scripts/dev_token.py citizen)   # or frontdesk, issuer, certifier, company...
    curl -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8101/v1/documents
Logs: $KHO_LOGS    Stop: make down
INFO
