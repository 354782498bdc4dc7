-- wrk script: one ~1 KB OpenAI chat completion POST, the same bytes for every request and for
-- both targets (the fake directly and sovgw in front of it), so the two runs differ only in the hop.
--
--   wrk -t1 -c64 -d10s --latency -s chat.lua http://127.0.0.1:PORT/v1/chat/completions
--
-- Environment: BENCH_MODEL (default fake-model), BENCH_STREAM=1 to ask for "stream": true,
-- BENCH_BODY_BYTES (default 1024), BENCH_CACHE=on|off to send x-sovgw-cache (a sovgw with [cache]
-- on: "on" makes every request after the first a cache hit, "off" always goes upstream). done() prints one machine-readable line for run.sh:
--   BENCH rps=... p50_us=... p99_us=... requests=... non2xx=... socket_errors=...

local model = os.getenv("BENCH_MODEL") or "fake-model"
local stream = os.getenv("BENCH_STREAM") == "1"
local target_bytes = tonumber(os.getenv("BENCH_BODY_BYTES") or "1024")

local function body_with(filler)
  return '{"model":"' .. model .. '","stream":' .. tostring(stream) .. ',"max_tokens":64,"messages":['
    .. '{"role":"system","content":"You are a terse assistant used for gateway benchmarking."},'
    .. '{"role":"user","content":"' .. filler .. '"}]}'
end

-- Pad the user message with plain words until the whole body is target_bytes long.
local words = "the quick brown fox jumps over the lazy dog "
local filler = ""
while #body_with(filler) < target_bytes do
  filler = filler .. words
end
filler = filler:sub(1, #filler - (#body_with(filler) - target_bytes))

wrk.method = "POST"
wrk.body = body_with(filler)
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
if os.getenv("BENCH_CACHE") then wrk.headers["x-sovgw-cache"] = os.getenv("BENCH_CACHE") end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH rps=%.1f p50_us=%d p99_us=%d requests=%d non2xx=%d socket_errors=%d bytes=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, summary.bytes))
end
