// The whole policy stage of one 4 KB chat request (Google Benchmark): scan every text field of
// the parsed body, decide for each of three targets (foreign, domestic, on premises) under the
// default Korean policy, and build the pseudonymised body for the foreign one when needed.
// Target: under 20 µs added per request. JSON parsing is not counted: the pipeline parses the
// body anyway to route it.
//
//   ./policy_stage_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <string>

#include <boost/json.hpp>

#include "backends/backend_config.hpp"
#include "gateway/config.hpp"
#include "gateway/policy_explain.hpp"
#include "gateway/request_policy.hpp"

namespace {

namespace json = boost::json;

const sovgw::Config& example_config() {
  static const sovgw::Config config = [] {
    auto load = sovgw::load_config_file(SOVGW_SOURCE_DIR "/config.example.toml");
    if (!load) throw std::runtime_error("config.example.toml does not load");
    return std::move(*load.config);
  }();
  return config;
}

// A 4 KB multi-turn chat request: system prompt, user and assistant turns of business prose,
// with `pii` carrying the personal data of the last user turn ("" for none).
json::value chat_request(const std::string& pii) {
  const std::string prose =
      "The customer reported that the export job fails intermittently when the dataset is larger than 2 GB. "
      "지난 분기 매출은 전년 대비 12% 증가했으며, 신규 고객 확보 비용은 다소 감소했습니다. ";
  json::array messages;
  messages.push_back(json::object{{"role", "system"}, {"content", "You are a careful banking assistant. " + prose}});
  std::string turn;
  while (turn.size() < 1200) turn += prose;
  messages.push_back(json::object{{"role", "user"}, {"content", turn}});
  messages.push_back(json::object{{"role", "assistant"}, {"content", turn}});
  messages.push_back(json::object{{"role", "user"}, {"content", turn.substr(0, 1000) + pii}});
  return json::object{{"model", "gpt-4o"}, {"messages", std::move(messages)}, {"temperature", 0.2}};
}

void run(benchmark::State& state, const std::string& pii) {
  const auto& cfg = example_config();
  const sovgw::policy::PolicyEngine engine(cfg.policy.engine, cfg.gateway.home_jurisdiction,
                                           cfg.policy.scanner->detector_ids());
  sovgw::policy::ScanScratch scratch;
  const json::value body = chat_request(pii);
  const auto* model = cfg.find_model("gpt-4o");
  std::size_t bytes = json::serialize(body).size();
  for (auto _ : state) {
    sovgw::RequestPolicy rp(engine, *cfg.policy.scanner, scratch, body,
                            sovgw::request_facts(cfg, nullptr, "gpt-4o", std::nullopt), cfg.policy.max_scan_bytes);
    for (const auto& target : model->targets) {
      const auto decision = rp.decide(cfg.backends[target.backend_index]);
      if (sovgw::RequestPolicy::rewrites(decision)) {
        benchmark::DoNotOptimize(rp.redacted_body(decision, body, target.model));
      }
      benchmark::DoNotOptimize(decision);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetLabel(std::to_string(bytes) + " B body");
}

void BM_PolicyStageNoPii(benchmark::State& state) { run(state, ""); }
void BM_PolicyStageRrnRestricted(benchmark::State& state) { run(state, " 주민번호 900101-1234568 확인 부탁"); }
void BM_PolicyStageEmailPseudonymised(benchmark::State& state) {
  run(state, " reply to kim.minsu@example.co.kr or 010-1234-5678");
}

}  // namespace

BENCHMARK(BM_PolicyStageNoPii);
BENCHMARK(BM_PolicyStageRrnRestricted);
BENCHMARK(BM_PolicyStageEmailPseudonymised);
