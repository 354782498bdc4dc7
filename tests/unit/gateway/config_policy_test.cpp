// Config keys of the data-sovereignty policy and tenants: values reach the structs, the scanner
// is compiled at load, and each rule's exact message.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "gateway/config.hpp"

namespace {

using sovgw::load_config_string;
namespace policy = sovgw::policy;

std::string problems_of(std::string_view text) {
  auto load = load_config_string(text, "p.toml");
  std::string out;
  for (const auto& problem : load.problems) out += (out.empty() ? "" : "\n") + problem;
  return out;
}

constexpr std::string_view kModels = R"([[backends]]
name = "a"
base_url = "http://127.0.0.1:1/v1"
jurisdiction = "US"
[[models]]
name = "chat"
targets = [{ backend = "a", model = "x" }]
)";

std::string with_models(std::string_view rest) { return std::string(kModels) + std::string(rest); }

}  // namespace

TEST_CASE("config: policy keys and tenants reach the structs") {
  auto load = load_config_string(with_models(R"([[tenants]]
name = "hr"
api_keys_env = "HR_KEYS"
default_data_class = "secret"
[policy]
default_action = "redact"
default_data_class = "public"
max_scan_bytes = 4096
builtin_detectors = ["kr_rrn", "email"]
[[policy.detectors]]
name = "employee_id"
regex = "EMP-\\d{6}"
context = ["employee"]
[[policy.rules]]
name = "ids"
tenants = ["hr", "default"]
data_classes = ["confidential"]
models = ["chat"]
pii = ["kr_rrn", "employee_id"]
destinations = ["foreign", "JP"]
action = "restrict"
allowed = ["local", "domestic"]
)"),
                                 "p.toml");
  REQUIRE_MESSAGE(load, (load.problems.empty() ? "" : load.problems.front()));
  const auto& cfg = *load.config;
  REQUIRE(cfg.tenants.size() == 1);
  CHECK(cfg.tenants[0].name == "hr");
  CHECK(cfg.tenants[0].api_keys_env == "HR_KEYS");
  CHECK(cfg.tenants[0].default_data_class == policy::DataClass::kSecret);
  CHECK(cfg.policy.engine.default_action == policy::RuleAction::kRedact);
  CHECK(cfg.policy.engine.default_data_class == policy::DataClass::kPublic);
  CHECK(cfg.policy.max_scan_bytes == 4096);
  REQUIRE(cfg.policy.scanner);
  CHECK(cfg.policy.scanner->detector_ids() == std::vector<std::string>{"kr_rrn", "email", "employee_id"});
  REQUIRE(cfg.policy.engine.rules.size() == 1);
  const auto& rule = cfg.policy.engine.rules[0];
  CHECK(rule.name == "ids");
  CHECK(rule.tenants == std::vector<std::string>{"hr", "default"});
  CHECK(rule.data_classes == std::vector<policy::DataClass>{policy::DataClass::kConfidential});
  CHECK(rule.pii == std::vector<std::string>{"kr_rrn", "employee_id"});
  CHECK(rule.destinations.foreign);
  CHECK(rule.destinations.jurisdictions == std::vector<std::string>{"JP"});
  CHECK(rule.action == policy::RuleAction::kRestrict);
  CHECK(rule.allowed.local);
  CHECK(rule.allowed.domestic);
  CHECK_FALSE(rule.allowed.foreign);
}

TEST_CASE("config: without [policy] every built-in detector is compiled and everything is allowed") {
  auto load = load_config_string(kModels, "p.toml");
  REQUIRE(load);
  REQUIRE(load.config->policy.scanner);
  CHECK(load.config->policy.scanner->detector_ids().size() >= 24);
  CHECK(load.config->policy.engine.rules.empty());
  CHECK(load.config->policy.engine.default_action == policy::RuleAction::kAllow);
}

TEST_CASE("config: policy problems, each with its key path and line") {
  struct Row {
    const char* toml;
    const char* problem;
  };
  const Row rows[] = {
      {"[policy]\ndefault_action = \"restrict\"\n",
       "p.toml:9: policy.default_action: must be one of allow, block, redact, pseudonymize (got \"restrict\")"},
      {"[policy]\ndefault_data_class = \"top-secret\"\n",
       "p.toml:9: policy.default_data_class: must be public, internal, confidential or secret (got \"top-secret\")"},
      {"[policy]\nbuiltin_detectors = [\"kr_rnn\"]\n",
       "p.toml:9: policy.builtin_detectors: no built-in detector named \"kr_rnn\" (did you mean \"kr_rrn\"?)"},
      {"[[policy.rules]]\nname = \"r\"\npii = [\"emial\"]\naction = \"block\"\n",
       "p.toml:10: policy.rules[0].pii: no enabled detector named \"emial\" (did you mean \"email\"?)"},
      {"[[policy.rules]]\nname = \"r\"\nmodels = [\"caht\"]\naction = \"block\"\n",
       "p.toml:10: policy.rules[0].models: no model named \"caht\" (did you mean \"chat\"?)"},
      {"[[policy.rules]]\nname = \"r\"\ntenants = [\"hr\"]\naction = \"block\"\n",
       "p.toml:10: policy.rules[0].tenants: no tenant named \"hr\""},
      {"[[policy.rules]]\nname = \"r\"\naction = \"restrict\"\n",
       "p.toml:8: policy.rules[0].allowed: is required with action = \"restrict\" (e.g. [\"local\", \"domestic\"])"},
      {"[[policy.rules]]\nname = \"r\"\naction = \"block\"\nallowed = [\"local\"]\n",
       "p.toml:11: policy.rules[0].allowed: only applies to action = \"restrict\""},
      {"[[policy.rules]]\nname = \"r\"\naction = \"restrict\"\nallowed = [\"abroad\"]\n",
       "p.toml:11: policy.rules[0].allowed: entries must be \"local\", \"domestic\", \"foreign\" or an ISO 3166-1 "
       "alpha-2 code like \"KR\" (got \"abroad\")"},
      {"[[policy.rules]]\nname = \"r\"\naction = \"pseudonymise\"\n",
       "p.toml:10: policy.rules[0].action: must be one of allow, block, redact, pseudonymize, restrict (got "
       "\"pseudonymise\")"},
      {"[[policy.rules]]\nname = \"r\"\naction = \"allow\"\n[[policy.rules]]\nname = \"r\"\naction = \"allow\"\n",
       "p.toml:12: policy.rules[1].name: duplicate rule name (got \"r\")"},
      {"[[policy.rules]]\nname = \"r\"\naction = \"allow\"\ndata_classes = [\"private\"]\n",
       "p.toml:11: policy.rules[0].data_classes: entries must be public, internal, confidential or secret (got "
       "\"private\")"},
      {"[[tenants]]\nname = \"default\"\napi_keys_env = \"K\"\n",
       "p.toml:9: tenants[0].name: \"default\" is the anonymous tenant's name (got \"default\")"},
      {"[[tenants]]\nname = \"hr\"\napi_keys_env = \"K\"\napi_key = \"sk-123\"\n",
       "p.toml:11: tenants[0].api_key: unknown key (secrets are never read from the file: name an environment "
       "variable with api_key_env)"},
      {"[[tenants]]\nname = \"hr\"\napi_keys_env = \"1K\"\n",
       "p.toml:10: tenants[0].api_keys_env: must be an environment variable name (got \"1K\")"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.toml);
    CHECK(problems_of(with_models(row.toml)) == row.problem);
  }
}

TEST_CASE("config: a custom detector whose regex Hyperscan rejects is reported at its table") {
  const std::string problems = problems_of(with_models("[[policy.detectors]]\nname = \"bad\"\nregex = \"(unclosed\"\n"));
  CHECK(problems.find("p.toml:10: policy.detectors[0].regex: ") == 0);
  CHECK(problems.find("Missing close parenthesis") != std::string::npos);
}

TEST_CASE("config: the example and demo configs carry a working policy") {
  auto example = sovgw::load_config_file(SOVGW_SOURCE_DIR "/config.example.toml");
  REQUIRE_MESSAGE(example, (example.problems.empty() ? "" : example.problems.front()));
  CHECK(example.config->policy.engine.rules.size() >= 4);
  CHECK(example.config->tenants.size() == 2);
}
