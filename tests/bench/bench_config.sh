# The sovgw config the benchmark scripts run; sourced by run.sh and instructions.sh.
#   write_bench_config FILE FAKE_URL ACCESS_LOG_ENABLED ACCESS_LOG_PATH
# One worker, one local backend and a model named like the fake's own, so the request bytes are the
# same direct and through sovgw; plus the same fake spoken to in Anthropic's Messages API
# (run.sh --translate).
write_bench_config() {
  local file=$1 fake_url=$2 access_log=$3 access_log_path=$4
  cat >"$file" <<EOF
# Written by tests/bench/bench_config.sh.
[gateway]
listen = "127.0.0.1:0"
workers = 1

[admin]
listen = "127.0.0.1:0"

[[backends]]
name = "fake"
protocol = "openai"
base_url = "$fake_url/v1"
jurisdiction = "KR"
local = true

[[models]]
name = "fake-model"
targets = [{ backend = "fake", model = "fake-model" }]

# --translate: the same fake, spoken to in Anthropic's Messages API.
[[backends]]
name = "fake-anthropic"
protocol = "anthropic"
base_url = "$fake_url"
jurisdiction = "KR"
local = true

[[models]]
name = "translated"
targets = [{ backend = "fake-anthropic", model = "fake-model" }]

[access_log]
enabled = $access_log
path = "$access_log_path"
EOF
}
