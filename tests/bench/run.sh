#!/usr/bin/env bash
# Throughput and latency of sovgw against the same fake upstream measured directly, in one session.
# Starts fake_upstream and sovgw itself (ports 0, READY lines), runs wrk, prints a table, and stops
# everything by PID on exit. See tests/bench/README.md for what the numbers mean.
#
#   tests/bench/run.sh                # non-stream: saturation run (-c64) and latency run (-c1)
#   tests/bench/run.sh --stream       # also: streams of STREAM_CHUNKS chunks sent with no delay
#   tests/bench/run.sh --translate    # also: OpenAI requests via sovgw to the fake in Anthropic's
#                                     # protocol (translated both ways) against pass-through
#   DURATION=30 tests/bench/run.sh
#
# Environment: SOVGW_BIN, FAKE_UPSTREAM_BIN (default: build/ at the repository root), DURATION (10),
# WARMUP (2), CONNECTIONS (64), LAT_CONNECTIONS (1; 0 skips the latency run), STREAM_CHUNKS (100),
# LOAD_CPU (0), SERVER_CPU (1), FAKE_OWN_CPU (2 with 3+ CPUs, else LOAD_CPU), ACCESS_LOG (true: one JSON line per request to a file in the temp
# dir; false: none), KEEP=1 keeps the temp dir (config, server logs, raw wrk output).
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

stream_run=0
translate_run=0
for arg in "$@"; do
  case "$arg" in
    --stream) stream_run=1 ;;
    --translate) translate_run=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench_config.sh
source "$here/bench_config.sh"
root="$(cd "$here/../.." && pwd)"
SOVGW_BIN="$(realpath -m "${SOVGW_BIN:-$root/build/gateway/sovgw}")"
FAKE_UPSTREAM_BIN="$(realpath -m "${FAKE_UPSTREAM_BIN:-$root/build/tests/fakes/fake_upstream}")"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
LAT_CONNECTIONS="${LAT_CONNECTIONS:-1}"
STREAM_CHUNKS="${STREAM_CHUNKS:-100}"
LOAD_CPU="${LOAD_CPU:-0}"
SERVER_CPU="${SERVER_CPU:-1}"
# Where the fake moves for the own-core run, so sovgw has SERVER_CPU to itself: a third CPU when
# there is one, else next to wrk (which, if anything, understates sovgw: wrk and the fake compete).
if (($(nproc) >= 3)); then FAKE_OWN_CPU="${FAKE_OWN_CPU:-2}"; else FAKE_OWN_CPU="${FAKE_OWN_CPU:-$LOAD_CPU}"; fi
READY_TIMEOUT=10

for tool in wrk taskset curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 2; }
done
for bin in "$SOVGW_BIN" "$FAKE_UPSTREAM_BIN"; do
  [[ -x "$bin" ]] || { echo "bench: $bin is missing or not executable (build first: cmake --build build)" >&2; exit 2; }
done
if (($(nproc) < 2)); then
  echo "bench: warning: $(nproc) CPU; wrk and the servers will share it and the numbers mean little" >&2
fi

# Other work on the machine skews both runs differently; say so rather than print confident numbers.
load1=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load1" 'BEGIN { exit !(l >= 1) }'; then
  echo "bench: warning: load average is $load1 before starting; the machine is busy and the numbers will be noisy" >&2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/sovgw-bench.XXXXXX")"
pids=()

# Stops every process we started, by PID: SIGTERM, up to 5 s grace, then SIGKILL.
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local pid alive=()
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null && alive+=("$pid")
  done
  local deadline=$((SECONDS + 5))
  for pid in "${alive[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [[ "${KEEP:-0}" == 1 ]]; then echo "bench: kept $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
  echo "bench: $*" >&2
  exit 1
}

# start_ready NAME REGEX CMD... — starts CMD on SERVER_CPU with stdout on a FIFO, waits for a line
# matching REGEX (under READY_TIMEOUT), then keeps draining stdout into NAME.out so the server never
# blocks on a full pipe. Leaves the capture groups in READY and the PID in LAST_PID.
start_ready() {
  local name=$1 re=$2
  shift 2
  local fifo="$tmp/$name.fifo"
  mkfifo "$fifo"
  taskset -c "$SERVER_CPU" "$@" >"$fifo" 2>"$tmp/$name.err" &
  LAST_PID=$!
  pids+=("$LAST_PID")
  local fd line
  exec {fd}<"$fifo"
  local deadline=$((SECONDS + READY_TIMEOUT))
  while :; do
    if ! read -r -t "$((deadline - SECONDS > 0 ? deadline - SECONDS : 1))" -u "$fd" line; then
      exec {fd}<&-
      die "$name: no READY line within ${READY_TIMEOUT}s ($*)
--- $name stderr (last lines) ---
$(tail -n 20 "$tmp/$name.err")"
    fi
    if [[ $line =~ $re ]]; then break; fi
    echo "$line" >>"$tmp/$name.out"
    ((SECONDS < deadline)) || die "$name: no READY line within ${READY_TIMEOUT}s"
  done
  READY=("${BASH_REMATCH[@]}")
  cat <&"$fd" >>"$tmp/$name.out" &
  pids+=("$!")
  exec {fd}<&-
}

# --- start the fake upstream and sovgw in front of it ----------------------------------------------
start_ready fake '^READY port=([0-9]+)$' \
  "$FAKE_UPSTREAM_BIN" --listen 127.0.0.1:0 --name bench --threads 1 --record-limit 0
fake_pid=$LAST_PID
fake_url="http://127.0.0.1:${READY[1]}"

write_bench_config "$tmp/sovgw.toml" "$fake_url" "${ACCESS_LOG:-true}" "$tmp/access.log"
start_ready sovgw '^READY listen=([^ ]+) admin=([^ ]+)$' "$SOVGW_BIN" --config "$tmp/sovgw.toml"
sovgw_pid=$LAST_PID
sovgw_url="http://${READY[1]}"

body="$tmp/body.json"

# One request each way before measuring: both must answer 200, and sovgw must say it used the fake.
sanity() {
  local label=$1 url=$2 stream=$3
  local headers="$tmp/sanity.$label.headers"
  local status
  status=$(curl -sS -o "$tmp/sanity.$label.body" -D "$headers" -w '%{http_code}' --max-time 5 \
    -H 'content-type: application/json' --data-binary "@$body.$stream" "$url/v1/chat/completions") ||
    die "$label: request failed"
  [[ $status == 200 ]] || die "$label: status $status: $(head -c 300 "$tmp/sanity.$label.body")"
  if [[ $label == sovgw* ]] && ! grep -qi '^x-sovgw-backend: *fake' "$headers"; then
    die "$label: no 'x-sovgw-backend: fake' header in the response"
  fi
}

# The sanity requests' bodies: built like chat.lua's (same fields, padded to 1024 bytes), one with
# "stream": false and one with true.
make_body() {
  local stream=$1 filler="" words="the quick brown fox jumps over the lazy dog "
  local head='{"model":"fake-model","stream":'"$stream"',"max_tokens":64,"messages":[{"role":"system","content":"You are a terse assistant used for gateway benchmarking."},{"role":"user","content":"'
  local tail='"}]}'
  while ((${#head} + ${#filler} + ${#tail} < 1024)); do filler+="$words"; done
  filler=${filler:0:$((1024 - ${#head} - ${#tail}))}
  printf '%s%s%s' "$head" "$filler" "$tail" >"$body.$stream"
}
make_body false
make_body true

# --- measurement -----------------------------------------------------------------------------------
clk_tck=$(getconf CLK_TCK)
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime of one process
core_times() { awk -v c="cpu$1" '$1 == c { idle = $5 + $6; total = 0; for (i = 2; i <= 9; i++) total += $i; print idle, total }' /proc/stat; }

# Both servers must survive every run; a crash mid-run would otherwise show up as odd numbers.
check_alive() {
  local name pid
  for name in fake sovgw; do
    pid=$([[ $name == fake ]] && echo "$fake_pid" || echo "$sovgw_pid")
    if ! kill -0 "$pid" 2>/dev/null || [[ ! -r /proc/$pid/stat ]]; then
      local status=0
      wait "$pid" 2>/dev/null || status=$?
      die "$name (pid $pid) died during the $1 run (exit status $status$( ((status > 128)) && echo ", signal $((status - 128))"))
--- $name stderr (last lines) ---
$(tail -n 20 "$tmp/$name.err")"
    fi
  done
}

# busy BEFORE AFTER — percent of time a core was not idle between two core_times snapshots.
busy() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); dt = y[2] - x[2]; printf "%d", (dt > 0 ? 100 * (1 - (y[1] - x[1]) / dt) : 0) }'; }

declare -A R # R[label.key]: rps p50 p99 requests non2xx errors cpu_load cpu_server fake_us sovgw_us
failures=0

# measure LABEL URL CONNECTIONS STREAM(0|1) [MODEL]
measure() {
  local label=$1 url=$2 conns=$3 stream=$4
  export BENCH_MODEL="${5:-fake-model}"
  local -a cmd=(taskset -c "$LOAD_CPU" wrk -t1 "-c$conns" --latency --timeout 10s -s "$here/chat.lua")
  if ((WARMUP > 0)); then
    BENCH_STREAM=$stream "${cmd[@]}" "-d${WARMUP}s" "$url/v1/chat/completions" >/dev/null
    check_alive "$label warm-up"
  fi
  local f0 g0 l0 s0 f1 g1 l1 s1
  f0=$(proc_ticks "$fake_pid"); g0=$(proc_ticks "$sovgw_pid")
  l0=$(core_times "$LOAD_CPU"); s0=$(core_times "$SERVER_CPU")
  BENCH_STREAM=$stream "${cmd[@]}" "-d${DURATION}s" "$url/v1/chat/completions" >"$tmp/wrk.$label.txt"
  check_alive "$label"
  f1=$(proc_ticks "$fake_pid"); g1=$(proc_ticks "$sovgw_pid")
  l1=$(core_times "$LOAD_CPU"); s1=$(core_times "$SERVER_CPU")

  local line
  line=$(grep '^BENCH ' "$tmp/wrk.$label.txt") || die "$label: no BENCH line from wrk: $(cat "$tmp/wrk.$label.txt")"
  local kv
  for kv in ${line#BENCH }; do R[$label.${kv%%=*}]=${kv#*=}; done
  R[$label.cpu_load]=$(busy "$l0" "$l1")
  R[$label.cpu_server]=$(busy "$s0" "$s1")
  local n=${R[$label.requests]}
  R[$label.fake_us]=$(awk -v t=$((f1 - f0)) -v hz="$clk_tck" -v n="$n" 'BEGIN { printf "%.1f", (n ? t * 1e6 / hz / n : 0) }')
  R[$label.sovgw_us]=$(awk -v t=$((g1 - g0)) -v hz="$clk_tck" -v n="$n" 'BEGIN { printf "%.1f", (n ? t * 1e6 / hz / n : 0) }')
  if ((R[$label.non2xx] > 0 || R[$label.socket_errors] > 0)); then
    echo "bench: $label: ${R[$label.non2xx]} non-2xx responses, ${R[$label.socket_errors]} socket errors (see $tmp/wrk.$label.txt)" >&2
    failures=$((failures + 1))
  fi
}

us() { awk -v v="$1" 'BEGIN { if (v >= 10000) printf "%.1f ms", v / 1000; else printf "%d us", v }'; }

row() { # LABEL TITLE
  local l=$1 title=$2
  printf '%-22s %10.0f %10s %10s %5s%% %5s%% %9s %9s\n' "$title" "${R[$l.rps]}" "$(us "${R[$l.p50_us]}")" \
    "$(us "${R[$l.p99_us]}")" "${R[$l.cpu_load]}" "${R[$l.cpu_server]}" "${R[$l.fake_us]}" \
    "$([[ $l == sovgw* ]] && echo "${R[$l.sovgw_us]}" || echo -)"
}

header() {
  printf '\n%s\n' "$1"
  printf '%-22s %10s %10s %10s %6s %6s %9s %9s\n' target "$2" p50 p99 "cpu$LOAD_CPU" "cpu$SERVER_CPU" "fake us" "sovgw us"
}

compare() { # direct_label sovgw_label what
  local d=$1 g=$2
  awk -v rd="${R[$d.rps]}" -v rg="${R[$g.rps]}" -v pd="${R[$d.p50_us]}" -v pg="${R[$g.p50_us]}" -v what="$3" 'BEGIN {
    printf "  %s: sovgw/direct throughput %.1f%%, added p50 %+d µs\n", what, (rd > 0 ? 100 * rg / rd : 0), pg - pd }'
}

sanity direct "$fake_url" false
sanity sovgw "$sovgw_url" false

echo "sovgw bench — $(date -u +%FT%TZ), $(nproc) CPUs; wrk on CPU $LOAD_CPU, fake_upstream and sovgw (workers = 1) on CPU $SERVER_CPU (own-core run: fake on CPU $FAKE_OWN_CPU)"
echo "request: 1024-byte chat completion POST, keep-alive; ${DURATION}s per run after ${WARMUP}s warm-up"

measure direct "$fake_url" "$CONNECTIONS" 0
measure sovgw "$sovgw_url" "$CONNECTIONS" 0
# The issue's placement, each server pinned to a core of its own: the fake moves off SERVER_CPU for
# one run and comes back for the rest.
taskset -a -p -c "$FAKE_OWN_CPU" "$fake_pid" >/dev/null || die "cannot move the fake to CPU $FAKE_OWN_CPU"
measure sovgw_own "$sovgw_url" "$CONNECTIONS" 0
taskset -a -p -c "$SERVER_CPU" "$fake_pid" >/dev/null || die "cannot move the fake back to CPU $SERVER_CPU"
if ((LAT_CONNECTIONS > 0)); then
  measure direct_lat "$fake_url" "$LAT_CONNECTIONS" 0
  measure sovgw_lat "$sovgw_url" "$LAT_CONNECTIONS" 0
fi

header "non-stream, saturation (-c$CONNECTIONS)" "req/s"
row direct "direct (fake)"
row sovgw "via sovgw"
row sovgw_own "via sovgw, own core"
if ((LAT_CONNECTIONS > 0)); then
  header "non-stream, latency (-c$LAT_CONNECTIONS)" "req/s"
  row direct_lat "direct (fake)"
  row sovgw_lat "via sovgw"
fi
echo
compare direct sovgw_own "saturation (-c$CONNECTIONS), sovgw on its own CPU $SERVER_CPU, fake on CPU $FAKE_OWN_CPU"
compare direct sovgw "saturation (-c$CONNECTIONS), sovgw sharing CPU $SERVER_CPU with the fake"
# The own-core ratio only measures sovgw when sovgw's CPU was the limit; on a 2-CPU machine wrk and
# the fake share the other CPU and are often the limit instead. The CPU each server spent per
# request in the shared run gives sovgw's own-core capacity without that ceiling.
awk -v f="${R[sovgw.fake_us]}" -v g="${R[sovgw.sovgw_us]}" -v busy="${R[sovgw_own.cpu_server]}" \
  -v sc="$SERVER_CPU" -v oc="$FAKE_OWN_CPU" 'BEGIN {
  if (g > 0) printf "  own-core capacity from CPU per request (fake us / sovgw us, shared run): %.1f%%\n", 100 * f / g
  if (busy < 90) printf "  note: CPU %s (sovgw) was %d%% busy in the own-core run, so CPU %s (the fake%s) was the limit and that ratio understates sovgw\n", sc, busy, oc, (oc == 0 ? " and wrk" : "") }'
if ((LAT_CONNECTIONS > 0)); then compare direct_lat sovgw_lat "latency (-c$LAT_CONNECTIONS)"; fi
echo "  design target: throughput >= 50% of direct; added p50 < 200 µs (read it from the latency run)"

if ((stream_run)); then
  # Every /v1 request to the fake becomes a stream of STREAM_CHUNKS chunks with no delay between them.
  curl -sS --fail --max-time 5 -H 'content-type: application/json' \
    --data "{\"default\":{\"action\":\"stream\",\"chunks\":$STREAM_CHUNKS,\"delay_ms\":0}}" \
    "$fake_url/_fake/script" >/dev/null || die "cannot script the fake for streaming"
  sanity direct_stream "$fake_url" true
  sanity sovgw_stream "$sovgw_url" true
  n_events=$(grep -c '^data: ' "$tmp/sanity.sovgw_stream.body" || true)
  measure direct_stream "$fake_url" "$CONNECTIONS" 1
  measure sovgw_stream "$sovgw_url" "$CONNECTIONS" 1
  header "stream of $STREAM_CHUNKS content chunks, delay 0 (-c$CONNECTIONS; ${n_events} SSE events per stream via sovgw)" "streams/s"
  row direct_stream "direct (fake)"
  row sovgw_stream "via sovgw"
  echo
  compare direct_stream sovgw_stream "streams"
  awk -v rd="${R[direct_stream.rps]}" -v rg="${R[sovgw_stream.rps]}" -v n="$STREAM_CHUNKS" \
    -v gus="${R[sovgw_stream.sovgw_us]}" 'BEGIN {
    printf "  chunks/s: direct %.0f, via sovgw %.0f; sovgw CPU per relayed chunk %.2f µs\n", rd * n, rg * n, gus / n }'
  curl -sS -X DELETE --max-time 5 "$fake_url/_fake/script" >/dev/null || true
fi

if ((translate_run)); then
  # An OpenAI client served through the Anthropic protocol (request, answer and stream translated)
  # against the same client passed through; both via sovgw, to the same fake.
  measure sovgw_tr "$sovgw_url" "$CONNECTIONS" 0 translated
  header "non-stream, OpenAI client → Anthropic-protocol backend (-c$CONNECTIONS)" "req/s"
  row sovgw "pass-through"
  row sovgw_tr "translated"
  echo
  awk -v rp="${R[sovgw.rps]}" -v rt="${R[sovgw_tr.rps]}" -v up="${R[sovgw.sovgw_us]}" -v ut="${R[sovgw_tr.sovgw_us]}" 'BEGIN {
    printf "  translated/pass-through throughput %.1f%%; sovgw CPU per request %+.1f µs\n", (rp > 0 ? 100 * rt / rp : 0), ut - up }'
  if ((stream_run)); then
    curl -sS --fail --max-time 5 -H 'content-type: application/json' \
      --data "{\"default\":{\"action\":\"stream\",\"chunks\":$STREAM_CHUNKS,\"delay_ms\":0}}" \
      "$fake_url/_fake/script" >/dev/null || die "cannot script the fake for streaming"
    measure sovgw_tr_stream "$sovgw_url" "$CONNECTIONS" 1 translated
    header "stream of $STREAM_CHUNKS content chunks, OpenAI client → Anthropic-protocol backend (-c$CONNECTIONS)" "streams/s"
    row sovgw_stream "pass-through"
    row sovgw_tr_stream "translated"
    echo
    awk -v rp="${R[sovgw_stream.rps]}" -v rt="${R[sovgw_tr_stream.rps]}" -v up="${R[sovgw_stream.sovgw_us]}" \
      -v ut="${R[sovgw_tr_stream.sovgw_us]}" -v n="$STREAM_CHUNKS" 'BEGIN {
      printf "  translated/pass-through streams %.1f%%; sovgw CPU per chunk: pass-through %.2f µs, translated %.2f µs (%+.2f)\n",
        (rp > 0 ? 100 * rt / rp : 0), up / n, ut / n, (ut - up) / n }'
    curl -sS -X DELETE --max-time 5 "$fake_url/_fake/script" >/dev/null || true
  fi
fi

if ((failures > 0)); then
  die "$failures run(s) had errors; the numbers above are not trustworthy"
fi
