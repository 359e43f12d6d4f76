#!/usr/bin/env bash
# Runs every test: lint (ruff), types (mypy), unit, integration against the real local servers, end to end.
# Provisions and starts the servers when needed (from the cache after the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
source deploy/local/env.sh

step() { printf '\n== %s\n' "$*"; }

step "provision"
deploy/local/provision.sh
uv sync --frozen --quiet

step "lint (ruff)"
uv run --frozen ruff check .
uv run --frozen ruff format --check .

step "types (mypy)"
uv run --frozen mypy libs/*/src services/*/src

step "local servers"
started_here=0
if ! deploy/local/servers.sh status >/dev/null 2>&1; then started_here=1; fi
deploy/local/servers.sh start
cleanup() { [ "$started_here" = 1 ] && deploy/local/servers.sh stop || true; }
[ "${KHO_KEEP_SERVERS:-}" = 1 ] || trap cleanup EXIT

step "tests (unit, integration, end to end)"
uv run --frozen pytest "$@"
