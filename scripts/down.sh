#!/usr/bin/env bash
# Stops the services and the local servers (their data stays in the cache; `make reset` removes it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh stop
deploy/local/servers.sh stop
