// Shared by the kill-switch integration tests (killswitch_test.cpp, killswitch_admin_test.cpp):
// a config builder for domestic and foreign backends (ConfigText marks every backend local), and
// helpers to read what each fake received and what /admin/backends says.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/gateway_fixture.hpp"

namespace sovgw::testing::killswitch {

using namespace std::chrono_literals;

// A config with domestic ("local", KR) and foreign (US, not local) backends; ConfigText marks
// every backend local, so the kill-switch tests write their own.
class KsConfig {
 public:
  KsConfig& gateway(const std::string& line) {
    gateway_ += line + "\n";
    return *this;
  }
  KsConfig& backend(std::string_view name, std::string_view base_url, bool foreign, std::string_view extra = "") {
    backends_ += "\n[[backends]]\nname = \"" + std::string(name) + "\"\nprotocol = \"openai\"\nbase_url = \"" +
                 std::string(base_url) + "\"\n" +
                 (foreign ? "jurisdiction = \"US\"\nlocal = false\n" : "jurisdiction = \"KR\"\nlocal = true\n") +
                 std::string(extra) + "\n";
    return *this;
  }
  KsConfig& model(std::string_view name, const std::vector<std::string>& backends, std::string_view extra = "") {
    models_ += "\n[[models]]\nname = \"" + std::string(name) + "\"\n" + std::string(extra) + "\ntargets = [";
    for (std::size_t i = 0; i < backends.size(); ++i) {
      models_ += (i ? ", " : "") + std::string("{backend = \"") + backends[i] + "\", model = \"" + backends[i] +
                 "-model\"}";
    }
    models_ += "]\n";
    return *this;
  }
  std::string str() const {
    return "[gateway]\nlisten = \"127.0.0.1:0\"\nworkers = 1\n" + gateway_ + "\n[admin]\nlisten = \"127.0.0.1:0\"\n" +
           backends_ + models_;
  }

 private:
  std::string gateway_, backends_, models_;
};

// Backend lines for tests that count requests: no health probes (they would hit the fake too).
constexpr std::string_view kNoProbes = "health_check = false";

const std::string kRegionBlock =
    R"({"error":{"message":"Country, region, or territory not supported","type":"request_forbidden",)"
    R"("param":null,"code":"unsupported_country_region_territory"}})";
const std::string kInvalidKey =
    R"({"error":{"message":"Incorrect API key provided: sk-test. You can find your API key at )"
    R"(https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,)"
    R"("code":"invalid_api_key"}})";
const std::string kNoQuota =
    R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.",)"
    R"("type":"insufficient_quota","param":null,"code":"insufficient_quota"}})";
const std::string kContextTooLong =
    R"({"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages )"
    R"(resulted in 9001 tokens. Please reduce the length of the messages.","type":"invalid_request_error",)"
    R"("param":"messages","code":"context_length_exceeded"}})";
const std::string kAnthropicOverloaded = R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})";

// A behaviour answering `status` with `body` (a JSON text).
inline std::string status_behaviour(int status, const std::string& body) {
  return R"({"action":"status","status":)" + std::to_string(status) + R"(,"body":)" + body + "}";
}

// What the fake received on /v1/chat/completions (health probes go to /v1/models).
inline std::vector<FakeRequest> chat_requests(FakeUpstream& fake) {
  std::vector<FakeRequest> out;
  for (auto& r : fake.requests()) {
    if (r.target == "/v1/chat/completions") out.push_back(std::move(r));
  }
  return out;
}

// The /admin/backends entry of `name` (null when absent or the report is not JSON).
inline gwjson::value backend_entry(HttpClient& http, const GatewayProcess& gw, std::string_view name) {
  HttpResponse r = http.get(gw.admin_url("/admin/backends"));
  gwjson::error_code ec;
  gwjson::value v = gwjson::parse(r.body, ec);
  if (ec || !v.is_object()) return nullptr;
  const auto* list = v.as_object().if_contains("backends");
  if (!list || !list->is_array()) return nullptr;
  for (const auto& b : list->as_array()) {
    if (b.is_object() && b.as_object().if_contains("name") && b.as_object().at("name") == gwjson::value(name)) return b;
  }
  return nullptr;
}

inline std::string backend_state(HttpClient& http, const GatewayProcess& gw, std::string_view name) {
  gwjson::value b = backend_entry(http, gw, name);
  if (!b.is_object() || !b.as_object().contains("state") || !b.as_object().at("state").is_string()) return "";
  return std::string(b.as_object().at("state").as_string());
}

// Polls /admin/backends (20 ms steps) until backend `name` is in `state` or `timeout` runs out;
// returns the last state seen.
inline std::string wait_for_state(HttpClient& http, const GatewayProcess& gw, std::string_view name, std::string_view state,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string seen = backend_state(http, gw, name);
  while (seen != state && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    seen = backend_state(http, gw, name);
  }
  return seen;
}

inline std::string answer_text(const HttpResponse& r) {
  gwjson::value v = parse_json(r.body);
  const auto* root = v.if_object();
  const auto* choices = root ? root->if_contains("choices") : nullptr;
  if (!choices || !choices->is_array() || choices->as_array().empty()) return "";
  const auto* content = choices->as_array()[0].as_object().if_contains("message");
  if (!content || !content->is_object() || !content->as_object().contains("content")) return "";
  const auto& c = content->as_object().at("content");
  return c.is_string() ? std::string(c.as_string()) : "";
}

// The cut-off scenario shared by the 403 / 401 / 429-quota tests: `foreign` always answers
// `status` with `body`; the first request is answered by `local` after one attempt on foreign,
// the next three never reach foreign, and /admin/backends shows it cut off for `reason`.
inline void check_cut_off_is_sticky(int status, const std::string& body, std::string_view reason) {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, kNoProbes)
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  foreign.script("[]", status_behaviour(status, body));
  HttpClient http;

  HttpResponse first = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "first"));
  CHECK(first.status == 200);
  CHECK(first.header("x-sovgw-backend") == "local");
  CHECK(first.header("x-sovgw-attempts") == "2");
  CHECK(answer_text(first) == "Hello from local: first");

  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "next"));
    CHECK(r.status == 200);
    CHECK(r.header("x-sovgw-backend") == "local");
    CHECK(r.header("x-sovgw-attempts") == "1");  // skipped at no cost
  }
  auto to_foreign = chat_requests(foreign);
  REQUIRE(to_foreign.size() == 1);
  CHECK(parse_json(to_foreign[0].body).at("messages").at(0).at("content") == "first");
  auto to_local = chat_requests(local);
  REQUIRE(to_local.size() == 4);
  CHECK(parse_json(to_local[0].body).at("messages").at(0).at("content") == "first");
  CHECK(parse_json(to_local[0].body).at("model") == "local-model");

  gwjson::value entry = backend_entry(http, gw, "foreign");
  INFO("foreign: " << gwjson::serialize(entry));
  REQUIRE(entry.is_object());
  CHECK(entry.at("state") == "cut_off");
  CHECK(entry.at("last_reason") == gwjson::value(reason));
  CHECK(backend_state(http, gw, "local") == "healthy");
}

// Two local backends, model "chat" → primary then fallback, no probes; `primary_extra` adds lines.
inline KsConfig primary_fallback(const FakeUpstream& primary, const FakeUpstream& fallback, std::string_view primary_extra = "") {
  std::string extra(kNoProbes);  // appended step by step: g++ 12 warns (falsely) on a + chain
  extra.append("\n").append(primary_extra);
  KsConfig cfg;
  cfg.backend("primary", primary.base_url(), false, extra)
      .backend("fallback", fallback.base_url(), false, kNoProbes)
      .model("chat", {"primary", "fallback"});
  return cfg;
}

// A persistently overloaded primary (`status` with `body`): one retry there, then the fallback.
inline void check_overloaded_fails_over(int status, const std::string& body) {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback).str());
  INFO("sovgw log:\n" << gw.log());
  primary.script("[]", status_behaviour(status, body));
  HttpClient http;

  Stopwatch clock;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "fallback");
  CHECK(r.header("x-sovgw-attempts") == "3");
  CHECK(answer_text(r) == "Hello from fallback: hi there");
  CHECK(clock.ms() >= 50);  // the retry waited its jitter
  auto to_primary = chat_requests(primary);
  REQUIRE(to_primary.size() == 2);
  CHECK(to_primary[0].body == to_primary[1].body);  // the same request, sent again
  CHECK(chat_requests(fallback).size() == 1);
  gwjson::value entry = backend_entry(http, gw, "primary");
  INFO("primary: " << gwjson::serialize(entry));
  REQUIRE(entry.is_object());
  CHECK(entry.at("state") == "healthy");  // 2 failures, under the threshold of 3
  CHECK(entry.at("consecutive_failures") == 2);
  CHECK(entry.at("last_reason") == "overloaded");
}


}  // namespace sovgw::testing::killswitch
