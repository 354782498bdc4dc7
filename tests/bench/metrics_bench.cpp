// Cost of the per-request metrics observation (Metrics::observe) and of a scrape, with Google
// Benchmark. Run by hand (tests/bench/README.md):
//   build/tests/metrics_bench --benchmark_min_time=1
// The baselines show why Metrics keeps one shard per worker: prometheus-cpp's Histogram::Observe
// takes a mutex, and series shared by two threads bounce their cache lines between cores.
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>

#include "backends/backend_health.hpp"
#include "gateway/access_log.hpp"
#include "gateway/metrics.hpp"
#include "gateway/request_record.hpp"
#include "gateway/worker.hpp"

namespace {

using namespace std::chrono_literals;

constexpr std::string_view kConfig = R"(
[gateway]
workers = 2
[[backends]]
name = "openai"
base_url = "https://api.openai.com/v1"
jurisdiction = "US"
[[backends]]
name = "anthropic"
base_url = "https://api.anthropic.com/v1"
jurisdiction = "US"
[[backends]]
name = "onprem"
base_url = "http://127.0.0.1:8000/v1"
jurisdiction = "KR"
local = true
[[models]]
name = "gpt-4o"
targets = [{backend = "openai", model = "gpt-4o"}, {backend = "onprem", model = "qwen"}]
[[models]]
name = "claude"
targets = [{backend = "anthropic", model = "claude"}, {backend = "onprem", model = "qwen"}]
[[models]]
name = "local"
targets = [{backend = "onprem", model = "qwen"}]
)";

struct Setup {
  Setup() : config(*sovgw::load_config_string(kConfig, "bench.toml").config), shared(config) {
    for (std::size_t i = 0; i < config.backends.size(); ++i) {
      shared.health.push_back(std::make_unique<sovgw::backends::BackendHealth>());
    }
  }
  sovgw::Config config;
  sovgw::SharedState shared;
};

Setup& setup() {
  static Setup s;
  return s;
}

// A typical successful non-stream chat request: one attempt, tokens, no PII.
sovgw::RequestRecord typical() {
  sovgw::RequestRecord r;
  r.request_id = "0123456789abcdef0123456789abcdef";
  r.api = "chat";
  r.model = "claude";
  r.model_known = true;
  r.status = 200;
  r.backend = "anthropic";
  r.outcome = "ok";
  r.attempts = {{"anthropic", "ok", "ok"}};
  r.duration = 812ms;
  r.upstream_duration = 810ms;
  r.input_tokens = 120;
  r.output_tokens = 400;
  r.cache_result = "miss";
  r.targets = {{"anthropic", "US", false, "allow", "default"}, {"onprem", "KR", true, "allow", "default"}};
  return r;
}

// A stream that failed over after a cut-off, with PII found and redacted.
sovgw::RequestRecord eventful() {
  auto r = typical();
  r.stream = true;
  r.backend = "onprem";
  r.attempts = {{"anthropic", "cut_off", "region_block"}, {"onprem", "ok", "ok"}};
  r.failovers = {{"anthropic", "onprem", "cut_off"}};
  r.time_to_first_token = 450ms;
  r.pii = {{"kr_rrn", 1}, {"email", 2}};
  r.policy_action = "redact";
  return r;
}

// Threads use their own shard (worker index = benchmark thread index), as workers do.
void BM_Observe(benchmark::State& state) {
  auto& metrics = setup().shared.metrics;
  const auto record = state.range(0) == 0 ? typical() : eventful();
  const auto worker = static_cast<unsigned>(state.thread_index());
  for (auto _ : state) metrics.observe(worker, record);
  state.SetLabel(state.range(0) == 0 ? "typical" : "failover+stream+pii");
}
BENCHMARK(BM_Observe)->Arg(0)->Arg(1)->Threads(1)->Threads(2);

void BM_ObserveInterToken(benchmark::State& state) {
  auto& metrics = setup().shared.metrics;
  const auto worker = static_cast<unsigned>(state.thread_index());
  for (auto _ : state) metrics.observe_inter_token(worker, 2, 25ms);
}
BENCHMARK(BM_ObserveInterToken)->Threads(1)->Threads(2);

// Baseline: the same counter and histogram shared by every thread (the unsharded design).
void BM_SharedPrometheusSeries(benchmark::State& state) {
  static prometheus::Registry registry;
  static auto& counter = prometheus::BuildCounter().Name("c_total").Help("h").Register(registry).Add({});
  static auto& histogram =
      prometheus::BuildHistogram()
          .Name("h_seconds")
          .Help("h")
          .Register(registry)
          .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5,
                                                           10, 15, 20, 30, 60, 120, 300});
  for (auto _ : state) {
    counter.Increment();
    histogram.Observe(0.812);
  }
}
BENCHMARK(BM_SharedPrometheusSeries)->Threads(1)->Threads(2);

void BM_AccessLogFormat(benchmark::State& state) {
  const auto record = eventful();
  std::string line;
  for (auto _ : state) {
    line.clear();
    sovgw::AccessLog::format(record, line);
    benchmark::DoNotOptimize(line.data());
  }
}
BENCHMARK(BM_AccessLogFormat);

void BM_Scrape(benchmark::State& state) {
  auto& s = setup();
  for (auto _ : state) {
    auto text = s.shared.metrics.scrape(s.shared, std::chrono::steady_clock::now());
    benchmark::DoNotOptimize(text.data());
  }
}
BENCHMARK(BM_Scrape);

}  // namespace
