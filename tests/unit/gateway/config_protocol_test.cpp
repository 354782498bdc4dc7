// Config: a backend's wire protocol (`protocol = "openai" | "anthropic"`) and what depends on it —
// the base_url form, the Anthropic API version, the health-check path and continuation defaults —
// and a model's default_max_tokens. Each rule with the exact message operators see.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "gateway/config.hpp"

namespace {

using sovgw::load_config_string;

std::string problems_of(const std::string& text) {
  auto load = load_config_string(text, "t.toml");
  std::string out;
  for (const auto& problem : load.problems) out += (out.empty() ? "" : "\n") + problem;
  CHECK(load.config.has_value() == load.problems.empty());
  return out;
}

// One backend (its keys after line 4) and a model using it.
std::string backend_with(std::string_view keys) {
  return "[[backends]]\nname = \"claude\"\njurisdiction = \"US\"\n" + std::string(keys) +
         "\n[[models]]\nname = \"chat\"\ntargets = [{ backend = \"claude\", model = \"claude-x\" }]\n";
}

sovgw::Config load_ok(const std::string& text) {
  auto load = load_config_string(text, "t.toml");
  for (const auto& problem : load.problems) FAIL_CHECK(problem);
  REQUIRE(load);
  return *load.config;
}

}  // namespace

TEST_CASE("config protocol: an anthropic backend gets Anthropic's defaults") {
  const auto config = load_ok(backend_with("protocol = \"anthropic\"\nbase_url = \"https://api.anthropic.com\""));
  const auto& b = config.backends[0];
  CHECK(b.protocol == sovgw::backends::Protocol::kAnthropic);
  CHECK(b.url.base_path == "");
  CHECK(b.anthropic_version == "2023-06-01");
  CHECK(b.health_check_path == "/v1/models");
  CHECK(b.continuation == sovgw::backends::Continuation::kPrefill);
  CHECK(config.models[0].default_max_tokens == 4096);
}

TEST_CASE("config protocol: explicit values win over the protocol's defaults") {
  const auto config = load_ok(backend_with(
      "protocol = \"anthropic\"\nbase_url = \"http://127.0.0.1:9000/proxy\"\nanthropic_version = \"2024-01-01\"\n"
      "health_check_path = \"/health\"\ncontinuation = \"none\""));
  const auto& b = config.backends[0];
  CHECK(b.url.base_path == "/proxy");
  CHECK(b.anthropic_version == "2024-01-01");
  CHECK(b.health_check_path == "/health");
  CHECK(b.continuation == sovgw::backends::Continuation::kNone);
}

TEST_CASE("config protocol: an openai backend keeps OpenAI's defaults") {
  const auto config = load_ok(backend_with("base_url = \"http://127.0.0.1:8000/v1\""));
  CHECK(config.backends[0].protocol == sovgw::backends::Protocol::kOpenAi);
  CHECK(config.backends[0].health_check_path == "/models");
  CHECK(config.backends[0].continuation == sovgw::backends::Continuation::kNone);
}

TEST_CASE("config protocol: unknown protocols are refused") {
  CHECK(problems_of(backend_with("protocol = \"gemini\"\nbase_url = \"http://127.0.0.1:1\"")) ==
        "t.toml:4: backends[0].protocol: must be \"openai\" or \"anthropic\" (got \"gemini\")");
}

TEST_CASE("config protocol: an anthropic base_url must not carry /v1") {
  CHECK(problems_of(backend_with("protocol = \"anthropic\"\nbase_url = \"https://api.anthropic.com/v1\"")) ==
        "t.toml:5: backends[0].base_url: must not end in /v1 for protocol \"anthropic\" (sovgw adds /v1/messages) "
        "(got \"https://api.anthropic.com/v1\")");
}

TEST_CASE("config protocol: anthropic_version belongs to anthropic backends and must be a plain token") {
  CHECK(problems_of(backend_with("base_url = \"http://127.0.0.1:1/v1\"\nanthropic_version = \"2023-06-01\"")) ==
        "t.toml:5: backends[0].anthropic_version: only applies to protocol \"anthropic\" (got \"2023-06-01\")");
  CHECK(problems_of(backend_with("protocol = \"anthropic\"\nbase_url = \"http://127.0.0.1:1\"\nanthropic_version = \"\"")) ==
        "t.toml:6: backends[0].anthropic_version: must be a version such as \"2023-06-01\" (got \"\")");
}

TEST_CASE("config protocol: vllm continuation is for OpenAI-protocol servers") {
  CHECK(problems_of(backend_with("protocol = \"anthropic\"\nbase_url = \"http://127.0.0.1:1\"\ncontinuation = \"vllm\"")) ==
        "t.toml:6: backends[0].continuation: \"vllm\" is for OpenAI-protocol vLLM servers; use \"prefill\" or "
        "\"none\" (got \"vllm\")");
}

TEST_CASE("config protocol: a model's default_max_tokens") {
  auto text = backend_with("base_url = \"http://127.0.0.1:1/v1\"") + "default_max_tokens = 1024\n";
  CHECK(load_ok(text).models[0].default_max_tokens == 1024);
  CHECK(problems_of(backend_with("base_url = \"http://127.0.0.1:1/v1\"") + "default_max_tokens = 0\n") ==
        "t.toml:8: models[0].default_max_tokens: must be between 1 and 1000000 (got 0)");
}
