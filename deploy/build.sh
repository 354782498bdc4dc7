#!/usr/bin/env bash
# Installs what is missing (deploy/install-deps.sh: Debian packages only, idempotent), then
# configures and builds sovgw, its tests and the fake upstream into build/ (Ninja, RelWithDebInfo).
# Usage: deploy/build.sh [extra cmake args]      SOVGW_SKIP_INSTALL=1 skips the install step.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${SOVGW_BUILD_DIR:-$root/build}"
[[ "${SOVGW_SKIP_INSTALL:-0}" == 1 ]] || "$root/deploy/install-deps.sh"
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" "$@"
fi
cmake --build "$build" --parallel "$(nproc)"
