#!/usr/bin/env bash
# Userland instructions sovgw executes per proxied request, counted by callgrind: a figure that
# barely moves with machine load, for comparing two builds of the request path when wall-clock
# benchmarks on a shared machine scatter. Kernel work (syscalls) is not counted; read run.sh for that.
#
#   tests/bench/instructions.sh                       # build/gateway/sovgw
#   SOVGW_BIN=/path/to/other/sovgw tests/bench/instructions.sh
#   BENCH_STREAM=1 tests/bench/instructions.sh        # per stream of the fake's default length
#
# Environment: SOVGW_BIN, FAKE_UPSTREAM_BIN (default: build/ at the repository root), SECONDS_MEASURED
# (5), CONNECTIONS (8), KEEP=1 keeps the temp dir with the callgrind output. Needs valgrind (with
# callgrind_control and callgrind_annotate) and wrk; valgrind is not part of deploy/install-deps.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench_config.sh
source "$here/bench_config.sh"
root="$(cd "$here/../.." && pwd)"
SOVGW_BIN="$(realpath -m "${SOVGW_BIN:-$root/build/gateway/sovgw}")"
FAKE_UPSTREAM_BIN="$(realpath -m "${FAKE_UPSTREAM_BIN:-$root/build/tests/fakes/fake_upstream}")"
SECONDS_MEASURED="${SECONDS_MEASURED:-5}"
CONNECTIONS="${CONNECTIONS:-8}"

for tool in valgrind callgrind_control callgrind_annotate wrk; do
  command -v "$tool" >/dev/null || { echo "instructions: $tool is not installed (apt-get install valgrind wrk)" >&2; exit 2; }
done
for bin in "$SOVGW_BIN" "$FAKE_UPSTREAM_BIN"; do
  [[ -x "$bin" ]] || { echo "instructions: $bin is missing (build first: cmake --build build)" >&2; exit 2; }
done

tmp="$(mktemp -d)"
pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ "${KEEP:-0}" == 1 ]]; then echo "instructions: kept $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
die() { echo "instructions: $*" >&2; exit 1; }

# wait_for FILE REGEX SECONDS — the first line of FILE matching REGEX, within SECONDS.
wait_for() {
  local deadline=$((SECONDS + $3)) line
  while ((SECONDS < deadline)); do
    line=$(grep -m1 -E "$2" "$1" 2>/dev/null) && { echo "$line"; return 0; }
    sleep 0.1
  done
  return 1
}

"$FAKE_UPSTREAM_BIN" --listen 127.0.0.1:0 --name bench --threads 1 --record-limit 0 >"$tmp/fake.out" 2>"$tmp/fake.err" &
pids+=("$!")
line=$(wait_for "$tmp/fake.out" '^READY port=' 10) || die "fake_upstream did not start: $(tail -n 5 "$tmp/fake.err")"
port=${line#READY port=}

write_bench_config "$tmp/sovgw.toml" "http://127.0.0.1:$port" true "$tmp/access.log"

# Under valgrind start-up (the Hyperscan compile) takes seconds; the counters are zeroed after a
# warm-up, so only the measured requests count.
valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out" "$SOVGW_BIN" --config "$tmp/sovgw.toml" \
  >"$tmp/sovgw.out" 2>"$tmp/sovgw.err" &
sovgw_pid=$!
pids+=("$sovgw_pid")
line=$(wait_for "$tmp/sovgw.out" '^READY listen=' 120) || die "sovgw did not start: $(tail -n 5 "$tmp/sovgw.err")"
listen=$(sed -E 's/^READY listen=([^ ]+) .*/\1/' <<<"$line")

export BENCH_STREAM="${BENCH_STREAM:-0}" BENCH_MODEL=fake-model
url="http://$listen/v1/chat/completions"
wrk -t1 "-c$CONNECTIONS" -d3s -s "$here/chat.lua" "$url" >/dev/null
callgrind_control -z "$sovgw_pid" >/dev/null 2>&1 || die "callgrind_control could not zero the counters"
wrk -t1 "-c$CONNECTIONS" "-d${SECONDS_MEASURED}s" -s "$here/chat.lua" "$url" >"$tmp/wrk.txt"
callgrind_control -d "$sovgw_pid" >/dev/null 2>&1 || die "callgrind_control could not dump the counters"

bench=$(grep '^BENCH ' "$tmp/wrk.txt") || die "no BENCH line from wrk: $(cat "$tmp/wrk.txt")"
requests=$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$bench")
[[ $bench == *" non2xx=0 "* ]] || die "non-2xx answers during the run: $bench"
# The dump is written by the running process: wait for its file.
dump=""
for _ in $(seq 100); do
  dump=$(ls -t "$tmp"/callgrind.out.* 2>/dev/null | head -n 1) && [[ -n $dump ]] && break
  sleep 0.1
done
[[ -n $dump ]] || die "callgrind wrote no dump"
total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
[[ -n $total && $requests -gt 0 ]] || die "no instruction total or no requests ($dump, $requests)"
echo "sovgw: $SOVGW_BIN"
echo "requests=$requests instructions=$total per_request=$((total / requests))"
