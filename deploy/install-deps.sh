#!/usr/bin/env bash
# Installs what sovgw needs to build, test and benchmark on Debian 12, from Debian's packages only.
# Idempotent: installs only what is missing; runs apt-get update only when something is.
# Usage: deploy/install-deps.sh            (as root, or with sudo available)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-system1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev openssl ca-certificates libtomlplusplus-dev libsimdjson-dev
  libhyperscan-dev librocksdb-dev prometheus-cpp-dev doctest-dev libbenchmark-dev
  prometheus wrk nghttp2-client curl
)
# Node.js with npm runs the end-to-end tests (official SDKs). Machines that already have a node
# (e.g. a NodeSource build that bundles npm) keep it; otherwise Debian's packages are used.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# The prometheus package would start a system service; sovgw's tests start their own server.
$SUDO env RUNLEVEL=1 apt-get install -y -q --no-install-recommends "${missing[@]}"
