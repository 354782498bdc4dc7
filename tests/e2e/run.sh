#!/usr/bin/env bash
# End-to-end tests: the built sovgw driven by the official openai and @anthropic-ai/sdk npm clients
# (node --test).
#
#   tests/e2e/run.sh                       # uses build/gateway/sovgw and build/tests/fakes/fake_upstream
#   SOVGW_BIN=... FAKE_UPSTREAM_BIN=... tests/e2e/run.sh [extra node --test args]
#   SOVGW_E2E_KEEP=1 tests/e2e/run.sh      # keep each stack's temp dir (config, stderr logs)
#
# Installs the pinned packages with `npm ci` when node_modules is missing or older than the lock file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# Absolute paths, so relative values given from the caller's directory keep working after the cd below.
SOVGW_BIN="$(realpath -m "${SOVGW_BIN:-$root/build/gateway/sovgw}")"
FAKE_UPSTREAM_BIN="$(realpath -m "${FAKE_UPSTREAM_BIN:-$root/build/tests/fakes/fake_upstream}")"
export SOVGW_BIN FAKE_UPSTREAM_BIN

for bin in "$SOVGW_BIN" "$FAKE_UPSTREAM_BIN"; do
  if [[ ! -x "$bin" ]]; then
    echo "e2e: $bin is missing or not executable (build first: cmake --build build)" >&2
    exit 2
  fi
done

cd "$here"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi

exec node --test --test-reporter=spec "$@" ./*.test.js
