// The kill switch through the real sovgw against fake upstreams, before any byte reaches the
// client: a provider that cuts us off (403 region block, 401 key, 429 insufficient_quota) is taken
// out of rotation at once and skipped at no cost; a silent upstream is abandoned after the
// first-byte timeout; a 5xx gets one retry on the same backend, then the next target; a request's
// own fault (400 context_length_exceeded) goes back to the client unless the model allows
// fallback; a 429 (or 503) with Retry-After makes the backend busy until then; three network
// failures open the breaker and one half-open request closes it again. Health checks find a black
// hole with no traffic and bring a cut-off backend back; sovereign mode (by admin or automatic)
// and the drill report who keeps serving when the foreign providers go away.
// (Streams: killswitch_stream_test.cpp.)
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/gateway_fixture.hpp"

namespace sovgw::testing {
namespace {

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
std::string status_behaviour(int status, const std::string& body) {
  return R"({"action":"status","status":)" + std::to_string(status) + R"(,"body":)" + body + "}";
}

// What the fake received on /v1/chat/completions (health probes go to /v1/models).
std::vector<FakeRequest> chat_requests(FakeUpstream& fake) {
  std::vector<FakeRequest> out;
  for (auto& r : fake.requests()) {
    if (r.target == "/v1/chat/completions") out.push_back(std::move(r));
  }
  return out;
}

// The /admin/backends entry of `name` (null when absent or the report is not JSON).
gwjson::value backend_entry(HttpClient& http, const GatewayProcess& gw, std::string_view name) {
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

std::string backend_state(HttpClient& http, const GatewayProcess& gw, std::string_view name) {
  gwjson::value b = backend_entry(http, gw, name);
  if (!b.is_object() || !b.as_object().contains("state") || !b.as_object().at("state").is_string()) return "";
  return std::string(b.as_object().at("state").as_string());
}

// Polls /admin/backends (20 ms steps) until backend `name` is in `state` or `timeout` runs out;
// returns the last state seen.
std::string wait_for_state(HttpClient& http, const GatewayProcess& gw, std::string_view name, std::string_view state,
                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string seen = backend_state(http, gw, name);
  while (seen != state && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    seen = backend_state(http, gw, name);
  }
  return seen;
}

std::string answer_text(const HttpResponse& r) {
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
void check_cut_off_is_sticky(int status, const std::string& body, std::string_view reason) {
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
KsConfig primary_fallback(const FakeUpstream& primary, const FakeUpstream& fallback, std::string_view primary_extra = "") {
  std::string extra(kNoProbes);  // appended step by step: g++ 12 warns (falsely) on a + chain
  extra.append("\n").append(primary_extra);
  KsConfig cfg;
  cfg.backend("primary", primary.base_url(), false, extra)
      .backend("fallback", fallback.base_url(), false, kNoProbes)
      .model("chat", {"primary", "fallback"});
  return cfg;
}

// A persistently overloaded primary (`status` with `body`): one retry there, then the fallback.
void check_overloaded_fails_over(int status, const std::string& body) {
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

TEST_CASE("killswitch: a 403 region block cuts the foreign backend off; the next requests never reach it") {
  check_cut_off_is_sticky(403, kRegionBlock, "region_blocked");
}

TEST_CASE("killswitch: a 401 invalid key cuts the backend off; the next requests never reach it") {
  check_cut_off_is_sticky(401, kInvalidKey, "invalid_api_key");
}

TEST_CASE("killswitch: a 429 insufficient_quota is a cut-off, not a busy window") {
  check_cut_off_is_sticky(429, kNoQuota, "insufficient_quota");
}

TEST_CASE("killswitch: an upstream that accepts and never answers is abandoned after first_byte_timeout_ms") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback, "first_byte_timeout_ms = 400").str());
  INFO("sovgw log:\n" << gw.log());
  primary.script(R"([{"action":"hang"}])");
  HttpClient http;

  Stopwatch clock;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  const double took = clock.ms();
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "fallback");
  CHECK(r.header("x-sovgw-attempts") == "2");
  CHECK(answer_text(r) == "Hello from fallback: hi there");
  CHECK(took >= 350);
  CHECK(took < 2000);
  // The gateway hung up on the silent upstream (no retry of a timeout on the same backend).
  CHECK(primary.wait_for_outcome(1, "client_closed").outcome == "client_closed");
  CHECK(chat_requests(primary).size() == 1);
  CHECK(chat_requests(fallback).size() == 1);
}

TEST_CASE("killswitch: a 500 once is retried on the same backend, which answers") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback).str());
  INFO("sovgw log:\n" << gw.log());
  primary.script(R"([{"action":"status","status":500}])");
  HttpClient http;

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "primary");
  CHECK(r.header("x-sovgw-attempts") == "2");
  CHECK(answer_text(r) == "Hello from primary: hi there");
  auto to_primary = chat_requests(primary);
  REQUIRE(to_primary.size() == 2);
  CHECK(to_primary[0].body == to_primary[1].body);
  CHECK(chat_requests(fallback).empty());
}

TEST_CASE("killswitch: a persistent 503 gets one retry, then the fallback answers") {
  check_overloaded_fails_over(503, R"({"error":{"message":"The server is overloaded or not ready yet.",)"
                                   R"("type":"server_error","param":null,"code":"server_is_overloaded"}})");
}

TEST_CASE("killswitch: Anthropic's 529 overloaded_error is overloaded: one retry, then the fallback") {
  check_overloaded_fails_over(529, kAnthropicOverloaded);
}

TEST_CASE("killswitch: a 400 context_length_exceeded goes back to the client unless the model allows fallback") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  KsConfig cfg = primary_fallback(primary, fallback);
  cfg.model("chat-fb", {"primary", "fallback"}, "fallback_on_client_error = true");
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  primary.script("[]", status_behaviour(400, kContextTooLong));
  HttpClient http;

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 400);
  CHECK(r.header("x-sovgw-backend") == "primary");
  CHECK(r.header("x-sovgw-attempts") == "1");
  CHECK(r.body == kContextTooLong);  // the provider's own answer, untouched
  check_openai_error(r.body, "context_length_exceeded");
  CHECK(chat_requests(primary).size() == 1);
  CHECK(chat_requests(fallback).empty());
  CHECK(backend_state(http, gw, "primary") == "healthy");  // the request's fault, not the backend's

  HttpResponse fb = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat-fb"));
  CHECK(fb.status == 200);
  CHECK(fb.header("x-sovgw-backend") == "fallback");
  CHECK(fb.header("x-sovgw-attempts") == "2");
  CHECK(answer_text(fb) == "Hello from fallback: hi there");
  CHECK(chat_requests(primary).size() == 2);
  auto to_fallback = chat_requests(fallback);
  REQUIRE(to_fallback.size() == 1);
  CHECK(parse_json(to_fallback[0].body).at("model") == "fallback-model");
}

TEST_CASE("killswitch: a 429 with Retry-After fails over now and keeps the backend busy for the window") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback).str());
  INFO("sovgw log:\n" << gw.log());
  primary.script(R"([{"action":"status","status":429,"retry_after":"5"}])");
  HttpClient http;

  Stopwatch clock;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "one"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "fallback");
  CHECK(r.header("x-sovgw-attempts") == "2");
  CHECK(answer_text(r) == "Hello from fallback: one");
  CHECK(clock.ms() < 1000);  // failed over now, did not wait 5 s
  CHECK(backend_state(http, gw, "primary") == "busy");

  HttpResponse again = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "two"));
  CHECK(again.status == 200);
  CHECK(again.header("x-sovgw-backend") == "fallback");
  CHECK(again.header("x-sovgw-attempts") == "1");
  CHECK(chat_requests(primary).size() == 1);
  auto to_fallback = chat_requests(fallback);
  REQUIRE(to_fallback.size() == 2);
  CHECK(parse_json(to_fallback[1].body).at("messages").at(0).at("content") == "two");
}

TEST_CASE("killswitch: health checks find a black hole with no traffic; requests then skip it") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  foreign.script("[]", R"({"action":"hang"})");
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, "health_check_interval_ms = 300\nhealth_check_timeout_ms = 300")
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"});
  GatewayProcess gw(dir, cfg.str());
  Stopwatch since_ready;
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  // First probe at 300 ms, times out at 600 ms: one failed probe ejects at once.
  CHECK(wait_for_state(http, gw, "foreign", "open", 3000ms) == "open");
  CHECK(since_ready.ms() < 1500);
  CHECK_FALSE(foreign.requests().empty());  // the probes did reach it
  for (const auto& req : foreign.requests()) CHECK(req.target == "/v1/models");

  Stopwatch clock;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(clock.ms() < 300);
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "local");
  CHECK(r.header("x-sovgw-attempts") == "1");
  CHECK(chat_requests(foreign).empty());
  CHECK(chat_requests(local).size() == 1);
}

TEST_CASE("killswitch: a cut-off backend comes back when a health check succeeds") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  foreign.script("[]", status_behaviour(403, kRegionBlock));  // probes are refused too
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, "health_check_interval_ms = 300\nhealth_check_timeout_ms = 300")
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "blocked"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "local");
  CHECK(wait_for_state(http, gw, "foreign", "cut_off", 2000ms) == "cut_off");
  // A failed probe (403) leaves it cut off: still cut off after a few more probe rounds.
  const std::size_t probes_before = foreign.requests().size();
  foreign.wait_for_requests(probes_before + 2, 2000ms);
  CHECK(backend_state(http, gw, "foreign") == "cut_off");
  CHECK(chat_requests(foreign).size() <= 1);  // at most the request that found the block

  foreign.clear_script();  // the provider lets us in again
  CHECK(wait_for_state(http, gw, "foreign", "healthy", 2000ms) == "healthy");
  const std::size_t chats_before = chat_requests(foreign).size();
  HttpResponse back = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "welcome back"));
  CHECK(back.status == 200);
  CHECK(back.header("x-sovgw-backend") == "foreign");
  CHECK(back.header("x-sovgw-attempts") == "1");
  CHECK(answer_text(back) == "Hello from foreign: welcome back");
  auto to_foreign = chat_requests(foreign);
  REQUIRE(to_foreign.size() == chats_before + 1);
  CHECK(parse_json(to_foreign.back().body).at("messages").at(0).at("content") == "welcome back");
  CHECK(chat_requests(local).size() == 1);
}

TEST_CASE("killswitch: sovereign mode via the admin API keeps traffic at home, and lets it out again") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, kNoProbes)
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"})
      .model("abroad", {"foreign"});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  HttpResponse before = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(before.header("x-sovgw-backend") == "foreign");

  HttpResponse on = http.post_json(gw.admin_url("/admin/sovereign-mode"), R"({"enabled":true})");
  CHECK(on.status == 200);
  CHECK(parse_json(on.body).at("sovereign_mode") == true);
  CHECK(parse_json(http.get(gw.admin_url("/admin/sovereign-mode")).body).at("sovereign_mode") == true);
  for (int i = 0; i < 2; ++i) {
    CAPTURE(i);
    HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "at home"));
    CHECK(r.status == 200);
    CHECK(r.header("x-sovgw-backend") == "local");
    CHECK(r.header("x-sovgw-attempts") == "1");
  }
  HttpResponse abroad = http.post_json(gw.url("/v1/chat/completions"), chat_body("abroad"));
  CHECK(abroad.status == 503);
  check_openai_error(abroad.body, "no_available_target");
  CHECK(chat_requests(foreign).size() == 1);  // nothing left the country while on
  CHECK(chat_requests(local).size() == 2);

  HttpResponse off = http.post_json(gw.admin_url("/admin/sovereign-mode"), R"({"enabled":false})");
  CHECK(off.status == 200);
  CHECK(parse_json(off.body).at("sovereign_mode") == false);
  HttpResponse after = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "abroad again"));
  CHECK(after.header("x-sovgw-backend") == "foreign");
  HttpResponse abroad_after = http.post_json(gw.url("/v1/chat/completions"), chat_body("abroad"));
  CHECK(abroad_after.status == 200);
  CHECK(abroad_after.header("x-sovgw-backend") == "foreign");
  CHECK(chat_requests(foreign).size() == 3);
  CHECK(chat_requests(local).size() == 2);
}

TEST_CASE("killswitch: the drill says which models keep serving with the foreign backend cut off") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, kNoProbes)
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"})
      .model("abroad", {"foreign"});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  foreign.script("[]", status_behaviour(403, kRegionBlock));
  HttpClient http;

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.header("x-sovgw-backend") == "local");
  REQUIRE(backend_state(http, gw, "foreign") == "cut_off");

  for (const char* method : {"GET", "POST"}) {
    CAPTURE(method);
    HttpResponse drill = http.request(method, gw.admin_url("/admin/drill"));
    INFO("drill: " << drill.body);
    CHECK(drill.status == 200);
    gwjson::value v = parse_json(drill.body);
    REQUIRE(v.is_object());
    CHECK(v.at("models_total") == 2);
    CHECK(v.at("models_serving") == 1);
    bool saw_chat = false, saw_abroad = false;
    for (const auto& m : v.at("models").as_array()) {
      if (m.at("model") == "chat") {
        saw_chat = true;
        CHECK(m.at("keeps_serving") == true);
        CHECK(m.at("served_by").at("backend") == "local");
        CHECK(m.at("served_by").at("model") == "local-model");
      } else if (m.at("model") == "abroad") {
        saw_abroad = true;
        CHECK(m.at("keeps_serving") == false);
        REQUIRE(m.as_object().contains("targets"));
        CHECK(m.at("targets").at(0).at("backend") == "foreign");
        CHECK(m.at("targets").at(0).at("foreign") == true);
        CHECK(m.at("targets").at(0).at("state") == "cut_off");
      }
    }
    CHECK(saw_chat);
    CHECK(saw_abroad);
  }
  // /admin/backends agrees, model by model.
  gwjson::value report = parse_json(http.get(gw.admin_url("/admin/backends")).body);
  for (const auto& m : report.at("models").as_array()) {
    CAPTURE(gwjson::serialize(m));
    CHECK(m.at("sovereign_ready") == (m.at("model") == "chat"));
  }
  // The drill is a report, not a switch: nothing changed and no request went anywhere.
  CHECK(parse_json(http.get(gw.admin_url("/admin/sovereign-mode")).body).at("sovereign_mode") == false);
  CHECK(chat_requests(foreign).size() == 1);
  CHECK(chat_requests(local).size() == 1);
}

TEST_CASE("killswitch: three network failures in a row open the breaker; the fourth request skips the backend") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback).str());
  INFO("sovgw log:\n" << gw.log());
  primary.script("[]", R"({"action":"reset"})");
  HttpClient http;

  for (int i = 1; i <= 3; ++i) {
    CAPTURE(i);
    HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
    CHECK(r.status == 200);
    CHECK(r.header("x-sovgw-backend") == "fallback");
    CHECK(r.header("x-sovgw-attempts") == "2");  // a network failure is not retried on the same backend
    CHECK(chat_requests(primary).size() == static_cast<std::size_t>(i));
    CHECK(backend_state(http, gw, "primary") == (i < 3 ? "healthy" : "open"));
  }
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.header("x-sovgw-backend") == "fallback");
  CHECK(r.header("x-sovgw-attempts") == "1");
  CHECK(chat_requests(primary).size() == 3);
  CHECK(chat_requests(fallback).size() == 4);
  gwjson::value entry = backend_entry(http, gw, "primary");
  INFO("primary: " << gwjson::serialize(entry));
  REQUIRE(entry.is_object());
  CHECK(entry.at("ejections") == 1);
}

TEST_CASE("killswitch: auto_sovereign_mode enters sovereign mode when every foreign backend is cut off") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  KsConfig cfg;
  cfg.gateway("auto_sovereign_mode = true")
      .backend("foreign", foreign.base_url(), true, kNoProbes)
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"})
      .model("abroad", {"foreign"});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  foreign.script("[]", status_behaviour(403, kRegionBlock));
  HttpClient http;

  CHECK(parse_json(http.get(gw.admin_url("/admin/sovereign-mode")).body).at("sovereign_mode") == false);
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.header("x-sovgw-backend") == "local");
  CHECK(parse_json(http.get(gw.admin_url("/admin/sovereign-mode")).body).at("sovereign_mode") == true);
  HttpResponse abroad = http.post_json(gw.url("/v1/chat/completions"), chat_body("abroad"));
  CHECK(abroad.status == 503);
  check_openai_error(abroad.body, "no_available_target");
  CHECK(chat_requests(foreign).size() == 1);
}

TEST_CASE("killswitch: after the ejection time one half-open request tries the backend again and closes the breaker") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback, "failure_threshold = 1\nbase_ejection_ms = 300").str());
  INFO("sovgw log:\n" << gw.log());
  primary.script(R"([{"action":"reset"}])");
  HttpClient http;

  HttpResponse first = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "one"));
  CHECK(first.header("x-sovgw-backend") == "fallback");
  CHECK(backend_state(http, gw, "primary") == "open");
  CHECK(wait_for_state(http, gw, "primary", "half_open", 2000ms) == "half_open");
  HttpResponse probe = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "two"));
  CHECK(probe.status == 200);
  CHECK(probe.header("x-sovgw-backend") == "primary");
  CHECK(probe.header("x-sovgw-attempts") == "1");
  CHECK(answer_text(probe) == "Hello from primary: two");
  CHECK(backend_state(http, gw, "primary") == "healthy");
  auto to_primary = chat_requests(primary);
  REQUIRE(to_primary.size() == 2);
  CHECK(parse_json(to_primary[1].body).at("messages").at(0).at("content") == "two");
  CHECK(chat_requests(fallback).size() == 1);
}

TEST_CASE("killswitch: a cut-off found by a stream request fails it over before any byte and sticks") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, kNoProbes)
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  foreign.script("[]", status_behaviour(403, kRegionBlock));
  HttpClient http;

  for (const char* attempts : {"2", "1"}) {
    CAPTURE(attempts);
    SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi there", true));
    INFO("body: " << s.body);
    CHECK(s.status == 200);
    CHECK(s.header("x-sovgw-backend") == "local");
    CHECK(s.header("x-sovgw-attempts") == attempts);
    CHECK(stream_text(s) == "Hello from local: hi there");
    CHECK(has_done(s));
    CHECK(s.body.find("unsupported_country") == std::string::npos);
  }
  CHECK(chat_requests(foreign).size() == 1);
  CHECK(chat_requests(local).size() == 2);
  CHECK(backend_state(http, gw, "foreign") == "cut_off");
}

TEST_CASE("killswitch: a 503 with Retry-After is not retried on the same backend; it is busy until then") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback).str());
  INFO("sovgw log:\n" << gw.log());
  primary.script(R"([{"action":"status","status":503,"retry_after":"5"}])");
  HttpClient http;

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "fallback");
  CHECK(r.header("x-sovgw-attempts") == "2");  // the server said when to come back: no jittered retry
  CHECK(backend_state(http, gw, "primary") == "busy");
  HttpResponse again = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(again.header("x-sovgw-backend") == "fallback");
  CHECK(again.header("x-sovgw-attempts") == "1");
  CHECK(chat_requests(primary).size() == 1);
  CHECK(chat_requests(fallback).size() == 2);
}

}  // namespace
}  // namespace sovgw::testing
