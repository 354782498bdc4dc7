// Metrics: what a scrape shows before any traffic (every known series at zero, live gauges from
// SharedState), after observations on several workers (summed), and that labels stay bounded
// whatever a client sends. Reads the text exposition the way Prometheus would: by series line.
#include "gateway/metrics.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "backends/backend_health.hpp"
#include "gateway/label_values.hpp"
#include "gateway/request_record.hpp"
#include "gateway/worker.hpp"

namespace {

using namespace std::chrono_literals;
using sovgw::Metrics;
using sovgw::RequestRecord;

constexpr std::string_view kConfig = R"(
[gateway]
workers = 2
home_jurisdiction = "KR"

[[backends]]
name = "foreign"
base_url = "http://127.0.0.1:1/v1"
jurisdiction = "US"

[[backends]]
name = "onprem"
base_url = "http://127.0.0.1:2/v1"
jurisdiction = "KR"
local = true

[[models]]
name = "chat"
targets = [{backend = "foreign", model = "gpt"}, {backend = "onprem", model = "llama"}]

[[models]]
name = "abroad"
targets = [{backend = "foreign", model = "gpt"}]
)";

// A SharedState as Server prepares it (health per backend), without sockets.
struct Fixture {
  Fixture() : config(load()), shared(config) {
    for (std::size_t i = 0; i < config.backends.size(); ++i) {
      shared.health.push_back(std::make_unique<sovgw::backends::BackendHealth>());
    }
  }
  static sovgw::Config load() {
    auto loaded = sovgw::load_config_string(kConfig, "metrics.toml");
    REQUIRE(loaded);
    return *loaded.config;
  }
  std::string scrape() { return shared.metrics.scrape(shared, std::chrono::steady_clock::now()); }

  sovgw::Config config;
  sovgw::SharedState shared;
};

// The value of the series line that starts with `series` (name and labels exactly as exposed),
// or -1 when there is none.
double value_of(const std::string& scrape, std::string_view series) {
  std::istringstream lines(scrape);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

RequestRecord chat_ok(std::string_view backend = "foreign") {
  RequestRecord r;
  r.api = "chat";
  r.model = "chat";
  r.model_known = true;
  r.status = 200;
  r.backend = std::string(backend);
  r.outcome = "ok";
  r.attempts.push_back({std::string(backend), "ok", "ok"});
  r.duration = 1500ms;
  r.upstream_duration = 1490ms;
  r.input_tokens = 12;
  r.output_tokens = 40;
  r.cache_result = "miss";
  return r;
}

}  // namespace

TEST_CASE("metrics: LabelValues maps listed values to their position and the rest to the fallback") {
  sovgw::LabelValues few({"a", "b", "a"}, "none");
  CHECK(few.size() == 3);
  CHECK(few.find("a") == 0);
  CHECK(few.find("b") == 1);
  CHECK(few.find("none") == few.fallback_index());
  CHECK(few.find("c") == few.fallback_index());
  CHECK(few[few.fallback_index()] == "none");
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("m" + std::to_string(i));
  sovgw::LabelValues many(names, "unknown");
  CHECK(many.find("m0") == 0);
  CHECK(many.find("m39") == 39);
  CHECK(many.find("m40") == 40);
  CHECK(many[40] == "unknown");
}

TEST_CASE("metrics: the first scrape already has every known series and the live state") {
  Fixture f;
  CHECK(f.shared.metrics.shards() == 2);
  const std::string s = f.scrape();
  INFO(s);
  CHECK(value_of(s, "sovgw_build_info{version=\"" SOVGW_VERSION "\"}") == 1);
  CHECK(value_of(s, R"(sovgw_requests_total{backend="foreign",code_class="2xx",model="chat"})") == 0);
  CHECK(value_of(s, R"(sovgw_requests_total{backend="none",code_class="5xx",model="chat"})") == 0);
  CHECK(value_of(s, R"(sovgw_requests_total{backend="none",code_class="4xx",model="unknown"})") == 0);
  CHECK(value_of(s, R"(sovgw_backend_state{backend="foreign",state="healthy"})") == 1);
  CHECK(value_of(s, R"(sovgw_backend_state{backend="foreign",state="cut_off"})") == 0);
  CHECK(value_of(s, R"(sovgw_backend_state{backend="onprem",state="half_open"})") == 0);
  CHECK(value_of(s, R"(sovgw_backend_info{backend="foreign",foreign="true",jurisdiction="US",local="false"})") == 1);
  CHECK(value_of(s, R"(sovgw_model_sovereign_ready{model="chat"})") == 1);
  CHECK(value_of(s, R"(sovgw_model_sovereign_ready{model="abroad"})") == 0);
  CHECK(value_of(s, "sovgw_sovereign_mode") == 0);
  CHECK(value_of(s, "sovgw_active_connections") == 0);
  CHECK(value_of(s, "sovgw_active_streams") == 0);
  CHECK(value_of(s, R"(sovgw_upstream_attempts_total{backend="onprem",class="cut_off"})") == 0);
  CHECK(value_of(s, R"(sovgw_failovers_total{from="foreign",model="chat",reason="network",to="onprem"})") == 0);
  CHECK(value_of(s, R"(sovgw_pii_detections_total{detector="kr_rrn"})") == 0);
  CHECK(value_of(s, R"(sovgw_policy_decisions_total{action="deny",rule="default"})") == 0);
  CHECK(value_of(s, R"(sovgw_cache_requests_total{result="hit"})") == 0);
  CHECK(value_of(s, R"(sovgw_config_reloads_total{result="failure"})") == 0);
  CHECK(value_of(s, R"(sovgw_request_duration_seconds_count{model="chat"})") == 0);
  CHECK(value_of(s, R"(sovgw_time_to_first_token_seconds_bucket{backend="onprem",le="+Inf"})") == 0);
  CHECK(value_of(s, "sovgw_gateway_overhead_seconds_count") == 0);
  CHECK(s.find("# TYPE sovgw_requests_total counter") != std::string::npos);
  CHECK(s.find("# TYPE sovgw_request_duration_seconds histogram") != std::string::npos);
}

TEST_CASE("metrics: live gauges follow SharedState at scrape time") {
  Fixture f;
  const auto now = std::chrono::steady_clock::now();
  sovgw::backends::Classification cut{sovgw::backends::FailureClass::kCutOff, "region_block", {}, false, false};
  f.shared.health[1]->record(cut, now);  // onprem cut off: "chat" has no sovereign target left
  f.shared.sovereign_mode = true;
  f.shared.active_connections = 3;
  const std::string s = f.scrape();
  INFO(s);
  CHECK(value_of(s, R"(sovgw_backend_state{backend="onprem",state="cut_off"})") == 1);
  CHECK(value_of(s, R"(sovgw_backend_state{backend="onprem",state="healthy"})") == 0);
  CHECK(value_of(s, R"(sovgw_model_sovereign_ready{model="chat"})") == 0);
  CHECK(value_of(s, "sovgw_sovereign_mode") == 1);
  CHECK(value_of(s, "sovgw_active_connections") == 3);
}

TEST_CASE("metrics: observations on different workers add up") {
  Fixture f;
  auto& m = f.shared.metrics;
  RequestRecord ok = chat_ok();
  ok.time_to_first_token = 300ms;
  m.observe(0, ok);
  m.observe(1, ok);
  RequestRecord failover = chat_ok("onprem");
  failover.attempts.insert(failover.attempts.begin(), {"foreign", "cut_off", "region_block"});
  failover.failovers.push_back({"foreign", "onprem", "cut_off"});
  failover.pii = {{"kr_rrn", 2}, {"email", 1}};
  failover.policy_action = "redact";
  m.observe(1, failover);
  m.observe_inter_token(0, 1, 20ms);
  m.observe_inter_token(1, 1, 40ms);
  {
    sovgw::ActiveStream stream(m, 1);
    CHECK(value_of(f.scrape(), "sovgw_active_streams") == 1);
  }
  m.config_reloaded(true);

  const std::string s = f.scrape();
  INFO(s);
  CHECK(value_of(s, R"(sovgw_requests_total{backend="foreign",code_class="2xx",model="chat"})") == 2);
  CHECK(value_of(s, R"(sovgw_requests_total{backend="onprem",code_class="2xx",model="chat"})") == 1);
  CHECK(value_of(s, R"(sovgw_request_duration_seconds_count{model="chat"})") == 3);
  CHECK(value_of(s, R"(sovgw_request_duration_seconds_sum{model="chat"})") == doctest::Approx(4.5));
  CHECK(value_of(s, R"(sovgw_request_duration_seconds_bucket{model="chat",le="1"})") == 0);
  CHECK(value_of(s, R"(sovgw_request_duration_seconds_bucket{model="chat",le="2"})") == 3);
  CHECK(value_of(s, R"(sovgw_upstream_duration_seconds_count{backend="foreign"})") == 2);
  CHECK(value_of(s, R"(sovgw_time_to_first_token_seconds_count{backend="foreign"})") == 2);
  CHECK(value_of(s, R"(sovgw_time_to_first_token_seconds_bucket{backend="foreign",le="0.2"})") == 0);
  CHECK(value_of(s, R"(sovgw_time_to_first_token_seconds_bucket{backend="foreign",le="0.3"})") == 2);
  CHECK(value_of(s, "sovgw_gateway_overhead_seconds_count") == 3);
  CHECK(value_of(s, "sovgw_gateway_overhead_seconds_sum") == doctest::Approx(0.03));
  CHECK(value_of(s, R"(sovgw_tokens_total{backend="foreign",direction="input"})") == 24);
  CHECK(value_of(s, R"(sovgw_tokens_total{backend="onprem",direction="output"})") == 40);
  CHECK(value_of(s, R"(sovgw_upstream_attempts_total{backend="foreign",class="ok"})") == 2);
  CHECK(value_of(s, R"(sovgw_upstream_attempts_total{backend="foreign",class="cut_off"})") == 1);
  CHECK(value_of(s, R"(sovgw_failovers_total{from="foreign",model="chat",reason="cut_off",to="onprem"})") == 1);
  CHECK(value_of(s, R"(sovgw_pii_detections_total{detector="kr_rrn"})") == 2);
  CHECK(value_of(s, R"(sovgw_pii_detections_total{detector="email"})") == 1);
  CHECK(value_of(s, R"(sovgw_policy_decisions_total{action="allow",rule="default"})") == 2);
  CHECK(value_of(s, R"(sovgw_policy_decisions_total{action="redact",rule="default"})") == 1);
  CHECK(value_of(s, R"(sovgw_cache_requests_total{result="miss"})") == 3);
  CHECK(value_of(s, R"(sovgw_stream_inter_token_seconds_count{backend="onprem"})") == 2);
  CHECK(value_of(s, "sovgw_active_streams") == 0);
  CHECK(value_of(s, R"(sovgw_config_reloads_total{result="success"})") == 1);
}

TEST_CASE("metrics: labels stay bounded whatever the client sends") {
  Fixture f;
  RequestRecord r;
  r.model = "880101-1234567 attacker-chosen";  // not a configured model
  r.model_known = false;
  r.status = 404;
  r.backend = "";
  f.shared.metrics.observe(0, r);
  RequestRecord odd = chat_ok();
  odd.backend = "not-a-backend";
  odd.attempts = {{"not-a-backend", "weird_class", "x"}};
  odd.pii = {{"made_up_detector", 1}};
  odd.policy_action = "teleport";
  odd.policy_rule = "rule-from-nowhere";
  odd.cache_result = "sideways";
  odd.status = 0;  // nothing was sent
  f.shared.metrics.observe(0, odd);

  const std::string s = f.scrape();
  INFO(s);
  CHECK(s.find("880101") == std::string::npos);
  CHECK(s.find("attacker") == std::string::npos);
  CHECK(s.find("not-a-backend") == std::string::npos);
  CHECK(s.find("weird_class") == std::string::npos);
  CHECK(s.find("made_up") == std::string::npos);
  CHECK(s.find("teleport") == std::string::npos);
  CHECK(s.find("rule-from-nowhere") == std::string::npos);
  CHECK(s.find("sideways") == std::string::npos);
  CHECK(value_of(s, R"(sovgw_requests_total{backend="none",code_class="4xx",model="unknown"})") == 1);
  CHECK(value_of(s, R"(sovgw_requests_total{backend="none",code_class="none",model="chat"})") == 1);
  CHECK(value_of(s, R"(sovgw_upstream_attempts_total{backend="none",class="other"})") == 1);
  CHECK(value_of(s, R"(sovgw_pii_detections_total{detector="other"})") == 1);
  CHECK(value_of(s, R"(sovgw_policy_decisions_total{action="other",rule="other"})") == 1);
  CHECK(value_of(s, R"(sovgw_cache_requests_total{result="other"})") == 1);
}

TEST_CASE("metrics: configured policy rules and custom detectors are label values") {
  Fixture f;
  sovgw::MetricVocabulary vocabulary = sovgw::default_metric_vocabulary();
  vocabulary.policy_rules = {"no-rrn-abroad"};
  vocabulary.pii_detectors.push_back("employee_id");
  Metrics m(f.config, 1, vocabulary);
  RequestRecord r = chat_ok();
  r.policy_action = "deny";
  r.policy_rule = "no-rrn-abroad";
  r.pii = {{"employee_id", 3}};
  m.observe(0, r);
  const std::string s = m.scrape(f.shared, std::chrono::steady_clock::now());
  CHECK(value_of(s, R"(sovgw_policy_decisions_total{action="deny",rule="no-rrn-abroad"})") == 1);
  CHECK(value_of(s, R"(sovgw_pii_detections_total{detector="employee_id"})") == 3);
}
