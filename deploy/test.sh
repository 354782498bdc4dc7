#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (unit, integration,
# end-to-end with the official SDKs) through ctest. .ci/run calls this script.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/build.sh"
cd "${SOVGW_BUILD_DIR:-$root/build}"
ctest --output-on-failure --timeout 900 "$@"
