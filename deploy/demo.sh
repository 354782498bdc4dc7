#!/usr/bin/env bash
# The demo: installs what is missing, builds, starts two fake upstreams on loopback — "foreign"
# (stands in for a US provider) and "local" (an on-premises model) — and runs sovgw in front of them
# on the bundled demo config. Ctrl-C stops everything.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/deploy/build.sh"
build="${SOVGW_BUILD_DIR:-$root/build}"
fake="$build/tests/fakes/fake_upstream"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

start_fake() {  # name port
  "$fake" --listen "127.0.0.1:$2" --name "$1" > /dev/null &
  pids+=($!)
}
start_fake foreign 18101
start_fake local 18102

cat <<'MSG'

sovgw demo: gateway on http://127.0.0.1:8080/v1, admin on http://127.0.0.1:9901
fake "foreign" backend on 127.0.0.1:18101, fake "local" backend on 127.0.0.1:18102

Try, in another terminal:
  curl -s http://127.0.0.1:8080/v1/chat/completions -H 'content-type: application/json' \
    -d '{"model":"gpt-4o","messages":[{"role":"user","content":"안녕하세요"}]}'
  curl -sN http://127.0.0.1:8080/v1/chat/completions -H 'content-type: application/json' \
    -d '{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"tell me a story"}]}'
  curl -s http://127.0.0.1:8080/v1/models
The Anthropic Messages API, answered by Claude (the foreign fake) or, when it is gone, the local model:
  curl -s http://127.0.0.1:8080/v1/messages -H 'content-type: application/json' \
    -d '{"model":"claude-sonnet","max_tokens":256,"messages":[{"role":"user","content":"안녕하세요"}]}'
A resident registration number never reaches the foreign fake (the local one answers):
  curl -si http://127.0.0.1:8080/v1/chat/completions -H 'content-type: application/json' \
    -d '{"model":"gpt-4o","messages":[{"role":"user","content":"주민번호 900101-1234568"}]}'
  curl -s http://127.0.0.1:9901/admin/policy/explain -d '{"model":"gpt-4o","text":"주민번호 900101-1234568"}'
Kill the foreign fake (kill PID shown below) and ask again: the local backend answers
(see the x-sovgw-backend header with curl -i).
Check the audit trail (kept in .sovgw-demo/audit):
  build/gateway/sovgw audit verify --config deploy/demo/sovgw-demo.toml

MSG
echo "foreign fake pid ${pids[0]}, local fake pid ${pids[1]}"
"$build/gateway/sovgw" --config "$root/deploy/demo/sovgw-demo.toml" &
pids+=($!)
wait "${pids[-1]}"
