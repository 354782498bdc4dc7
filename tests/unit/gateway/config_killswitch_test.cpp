// Config keys of the kill-switch features: continuation mode, breaker and health-check settings,
// sovereign mode, fallback_on_client_error and operator failure rules — values reach the structs,
// and each rule's exact message.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "gateway/config.hpp"

namespace {

using sovgw::load_config_string;

std::string problems_of(std::string_view text) {
  auto load = load_config_string(text, "k.toml");
  std::string out;
  for (const auto& problem : load.problems) out += (out.empty() ? "" : "\n") + problem;
  return out;
}

constexpr std::string_view kBackend = R"(
[[backends]]
name = "a"
base_url = "http://127.0.0.1:1/v1"
jurisdiction = "US"
)";

}  // namespace

TEST_CASE("config: kill-switch keys reach the structs") {
  auto load = load_config_string(R"([gateway]
sovereign_mode = true
auto_sovereign_mode = true
[[backends]]
name = "a"
base_url = "http://127.0.0.1:1/v1"
jurisdiction = "US"
continuation = "vllm"
time_to_first_token_ms = 2500
failure_threshold = 5
base_ejection_ms = 1000
max_ejection_ms = 8000
health_check = false
health_check_path = "/health"
health_check_interval_ms = 700
health_check_timeout_ms = 300
[[models]]
name = "m"
fallback_on_client_error = true
targets = [{ backend = "a", model = "x" }]
[[failure_rules]]
status = 403
json_field = "error.code"
equals = "blocked_here"
class = "cut_off"
reason = "custom_block"
request_only = false
)",
                                 "k.toml");
  for (const auto& p : load.problems) FAIL_CHECK(p);
  REQUIRE(load);
  const auto& c = *load.config;
  CHECK(c.gateway.sovereign_mode);
  CHECK(c.gateway.auto_sovereign_mode);
  const auto& b = c.backends.at(0);
  CHECK(b.continuation == sovgw::backends::Continuation::kVllm);
  CHECK(b.time_to_first_token_ms == 2500);
  CHECK(b.failure_threshold == 5);
  CHECK(b.base_ejection_ms == 1000);
  CHECK(b.max_ejection_ms == 8000);
  CHECK_FALSE(b.health_check);
  CHECK(b.health_check_path == "/health");
  CHECK(b.health_check_interval_ms == 700);
  CHECK(b.health_check_timeout_ms == 300);
  CHECK(c.models.at(0).fallback_on_client_error);
  REQUIRE(c.failure_rules.size() == 1);
  const auto& rule = c.failure_rules[0];
  CHECK(rule.status == 403u);
  CHECK(rule.json_field == "error.code");
  CHECK(rule.equals == "blocked_here");
  CHECK(rule.cls == sovgw::backends::FailureClass::kCutOff);
  CHECK(rule.reason == "custom_block");
}

TEST_CASE("config: the kill-switch defaults are the documented ones") {
  auto load = load_config_string(kBackend, "k.toml");
  REQUIRE(load);
  const auto& b = load.config->backends.at(0);
  CHECK(b.continuation == sovgw::backends::Continuation::kNone);
  CHECK(b.time_to_first_token_ms == 15000);
  CHECK(b.failure_threshold == 3);
  CHECK(b.health_check);
  CHECK(b.health_check_path == "/models");
  CHECK(b.health_check_interval_ms == 5000);
  CHECK(b.health_check_timeout_ms == 2000);
  CHECK_FALSE(load.config->gateway.sovereign_mode);
}

TEST_CASE("config: continuation must be none, prefill or vllm") {
  CHECK(problems_of(std::string(kBackend) + "continuation = \"always\"\n") ==
        "k.toml:6: backends[0].continuation: must be \"none\", \"prefill\" or \"vllm\" (got \"always\")");
}

TEST_CASE("config: max_ejection_ms must be at least base_ejection_ms") {
  CHECK(problems_of(std::string(kBackend) + "base_ejection_ms = 5000\nmax_ejection_ms = 1000\n") ==
        "k.toml:7: backends[0].max_ejection_ms: must be at least base_ejection_ms, 5000 (got 1000)");
}

TEST_CASE("config: health_check_path must be a path") {
  CHECK(problems_of(std::string(kBackend) + "health_check_path = \"models\"\n") ==
        "k.toml:6: backends[0].health_check_path: must be a path starting with '/' (got \"models\")");
}

TEST_CASE("config: a failure rule needs a known class and a label-safe reason") {
  CHECK(problems_of("[[failure_rules]]\nstatus = 403\nclass = \"blocked\"\nreason = \"Region Block\"\n") ==
        "k.toml:3: failure_rules[0].class: must be one of client_error, rate_limited, overloaded, server_error, "
        "network, cut_off (got \"blocked\")\n"
        "k.toml:4: failure_rules[0].reason: must be 1-64 characters of a-z, 0-9 and '_' (it becomes a metrics "
        "label) (got \"Region Block\")");
}

TEST_CASE("config: a failure rule's unknown key is reported") {
  CHECK(problems_of("[[failure_rules]]\nstatus = 403\nclass = \"cut_off\"\nreason = \"x\"\nclas = 1\n") ==
        "k.toml:5: failure_rules[0].clas: unknown key (did you mean \"class\"?)");
}
