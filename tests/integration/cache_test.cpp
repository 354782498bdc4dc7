// The response cache in the request path, through the real sovgw and a fake upstream: a repeated
// deterministic request is answered from the cache without reaching the fake; a streamed answer
// is kept and replayed to stream and non-stream clients alike; a truncated stream is never kept;
// Cache-Control: no-store, other tenants, pseudonymised requests and expired entries are not
// served from it; a stale answer stands in when the only backend is dead; and the cache survives
// a kill -9 during a write-heavy run.
#include <doctest/doctest.h>

#include <csignal>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/killswitch_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;
using killswitch::answer_text;
using killswitch::chat_requests;
using killswitch::kNoProbes;

const std::string kChat = "/v1/chat/completions";

std::string cache_section(const TempDir& dir, int ttl_seconds = 60, int stale_seconds = 600) {
  return "[cache]\nenabled = true\npath = \"" + dir.file("cache") + "\"\nttl_seconds = " + std::to_string(ttl_seconds) +
         "\nstale_if_error_seconds = " + std::to_string(stale_seconds) + "\n";
}

// A deterministic (temperature 0, so cacheable) chat request.
std::string det_body(std::string_view content, bool stream = false, bool include_usage = false) {
  gwjson::object o{{"model", "chat"},
                   {"messages", gwjson::array{gwjson::object{{"role", "user"}, {"content", content}}}},
                   {"temperature", 0}};
  if (stream) o["stream"] = true;
  if (include_usage) o["stream_options"] = gwjson::object{{"include_usage", true}};
  return gwjson::serialize(o);
}

// A counter of GET /admin/cache (-1 when unreadable).
std::int64_t cache_stat(HttpClient& http, const GatewayProcess& gw, std::string_view name) {
  HttpResponse r = http.get(gw.admin_url("/admin/cache"));
  gwjson::error_code ec;
  gwjson::value v = gwjson::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains(name)) return -1;
  return v.as_object().at(name).to_number<std::int64_t>();
}

// Stores are not awaited by the request: poll until `n` have been written.
bool wait_for_stores(HttpClient& http, const GatewayProcess& gw, std::int64_t n,
                     std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (cache_stat(http, gw, "stores") < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// One fake ("local") behind model "chat", no health probes, the cache in the test's dir.
struct World {
  TempDir dir;
  std::optional<FakeUpstream> fake{std::in_place, dir, "local"};
  std::unique_ptr<GatewayProcess> gw;
  HttpClient http;

  explicit World(int ttl_seconds = 60, int stale_seconds = 600, std::string extra = "",
                 GatewayProcess::Options options = {}) {
    config = one_backend(*fake, kNoProbes).tables(cache_section(dir, ttl_seconds, stale_seconds) + extra).str();
    start(std::move(options));
  }
  void start(GatewayProcess::Options options = {}) { gw = std::make_unique<GatewayProcess>(dir, config, std::move(options)); }
  HttpResponse chat(const std::string& body, const HttpHeaders& headers = {}) {
    return http.post_json(gw->url(kChat), body, headers);
  }
  SseStreamResult stream(const std::string& body, const HttpHeaders& headers = {}) {
    return http.stream(gw->url(kChat), body, headers);
  }
  std::int64_t stat(std::string_view name) { return cache_stat(http, *gw, name); }
  bool wait_for_stores(std::int64_t n, std::chrono::milliseconds timeout = 5000ms) {
    return sovgw::testing::wait_for_stores(http, *gw, n, timeout);
  }

  std::string config;
};

}  // namespace

TEST_CASE("cache: the second identical request is a hit and the fake saw one request") {
  World w;
  INFO("sovgw log:\n" << w.gw->log());
  HttpResponse first = w.chat(det_body("what is the capital of Korea"));
  REQUIRE(first.status == 200);
  CHECK(first.header("x-sovgw-cache") == "miss");
  CHECK(first.header("x-sovgw-backend") == "local");
  REQUIRE(w.wait_for_stores(1));

  // The same request with its keys in another order and other whitespace: the same entry.
  const std::string reordered =
      R"({ "temperature": 0,  "messages": [{"content": "what is the capital of Korea", "role": "user"}], "model": "chat" })";
  HttpResponse second = w.chat(reordered);
  REQUIRE(second.status == 200);
  CHECK(second.header("x-sovgw-cache") == "hit");
  CHECK(second.header("x-sovgw-backend").empty());  // no backend was asked
  CHECK(!second.header("age").empty());
  CHECK(second.header("content-type") == "application/json");
  CHECK(answer_text(second) == answer_text(first));
  CHECK(answer_text(second) == "Hello from local: what is the capital of Korea");
  CHECK(parse_json(second.body).at("usage") == parse_json(first.body).at("usage"));
  CHECK(chat_requests(*w.fake).size() == 1);
  CHECK(w.stat("hits") == 1);

  // A request that is not deterministic (no temperature) is not cached at all.
  CHECK(w.chat(chat_body("chat", "random")).header("x-sovgw-cache") == "bypass");
  CHECK(w.chat(chat_body("chat", "random")).header("x-sovgw-cache") == "bypass");
  CHECK(chat_requests(*w.fake).size() == 3);
  // Every response of a proxied route says what the cache did, errors too.
  HttpResponse bad = w.chat("{not json");
  CHECK(bad.status == 400);
  CHECK(bad.header("x-sovgw-cache") == "bypass");
}

TEST_CASE("cache: without [cache] every proxied response says bypass") {
  TempDir dir;
  FakeUpstream fake(dir, "local");
  GatewayProcess gw(dir, one_backend(fake, kNoProbes).str());
  HttpClient http;
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = http.post_json(gw.url(kChat), det_body("same"));
    CHECK(r.status == 200);
    CHECK(r.header("x-sovgw-cache") == "bypass");
  }
  CHECK(chat_requests(fake).size() == 2);
}

TEST_CASE("cache: a streamed answer is kept and replayed to stream and non-stream clients with the same content") {
  World w;
  INFO("sovgw log:\n" << w.gw->log());
  SseStreamResult first = w.stream(det_body("tell me a story", true));
  REQUIRE(first.status == 200);
  CHECK(first.header("x-sovgw-cache") == "miss");
  CHECK(has_done(first));
  const std::string text = stream_text(first);
  CHECK(text == "Hello from local: tell me a story");
  REQUIRE(w.wait_for_stores(1));

  SseStreamResult again = w.stream(det_body("tell me a story", true));
  CHECK(again.status == 200);
  CHECK(again.header("x-sovgw-cache") == "hit");
  CHECK(again.header("content-type").starts_with("text/event-stream"));
  CHECK(has_done(again));
  CHECK(stream_text(again) == text);
  CHECK(again.events.back() == "[DONE]");
  // The replay ends with the finish reason, like the original.
  gwjson::value last = parse_json(again.events[again.events.size() - 2]);
  CHECK(last.at("choices").at(0).at("finish_reason") == "stop");

  HttpResponse json_client = w.chat(det_body("tell me a story"));
  CHECK(json_client.status == 200);
  CHECK(json_client.header("x-sovgw-cache") == "hit");
  CHECK(answer_text(json_client) == text);
  CHECK(parse_json(json_client.body).at("choices").at(0).at("finish_reason") == "stop");

  CHECK(chat_requests(*w.fake).size() == 1);
}

TEST_CASE("cache: a buffered answer is replayed to a stream client") {
  World w;
  INFO("sovgw log:\n" << w.gw->log());
  HttpResponse first = w.chat(det_body("buffered first"));
  REQUIRE(first.status == 200);
  REQUIRE(w.wait_for_stores(1));
  SseStreamResult s = w.stream(det_body("buffered first", true));
  CHECK(s.header("x-sovgw-cache") == "hit");
  CHECK(has_done(s));
  CHECK(stream_text(s) == answer_text(first));
  // stream_options.include_usage: the replay ends with a usage chunk (the stored answer has usage).
  SseStreamResult with_usage = w.stream(det_body("buffered first", true, true));
  CHECK(with_usage.header("x-sovgw-cache") == "hit");
  CHECK(stream_text(with_usage) == answer_text(first));
  REQUIRE(with_usage.events.size() >= 2);
  gwjson::value usage_chunk = parse_json(with_usage.events[with_usage.events.size() - 2]);
  CHECK(usage_chunk.at("choices").as_array().empty());
  CHECK(usage_chunk.at("usage") == parse_json(first.body).at("usage"));
  CHECK(chat_requests(*w.fake).size() == 1);
}

TEST_CASE("cache: a truncated upstream stream is not kept") {
  World w;
  INFO("sovgw log:\n" << w.gw->log());
  w.fake->script(R"([{"action":"close_after","chunks":2}])");
  SseStreamResult cut = w.stream(det_body("a long answer please", true));
  CHECK(cut.status == 200);
  CHECK(cut.header("x-sovgw-cache") == "miss");
  CHECK(!has_done(cut));

  // The next identical request goes upstream again (and that complete answer is kept).
  SseStreamResult next = w.stream(det_body("a long answer please", true));
  CHECK(next.header("x-sovgw-cache") == "miss");
  CHECK(has_done(next));
  CHECK(chat_requests(*w.fake).size() == 2);
  REQUIRE(w.wait_for_stores(1));
  CHECK(w.stat("stores") == 1);  // only the complete one
  SseStreamResult third = w.stream(det_body("a long answer please", true));
  CHECK(third.header("x-sovgw-cache") == "hit");
  CHECK(stream_text(third) == stream_text(next));
  CHECK(chat_requests(*w.fake).size() == 2);
}

TEST_CASE("cache: Cache-Control: no-store is honoured, x-sovgw-cache: off bypasses") {
  World w;
  INFO("sovgw log:\n" << w.gw->log());
  const HttpHeaders no_store{{"cache-control", "no-store"}};
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = w.chat(det_body("private"), no_store);
    CHECK(r.status == 200);
    CHECK(r.header("x-sovgw-cache") == "bypass");
  }
  CHECK(chat_requests(*w.fake).size() == 2);
  CHECK(w.stat("stores") == 0);

  // Kept once, then x-sovgw-cache: off still goes upstream.
  CHECK(w.chat(det_body("public")).header("x-sovgw-cache") == "miss");
  REQUIRE(w.wait_for_stores(1));
  CHECK(w.chat(det_body("public"), {{"x-sovgw-cache", "off"}}).header("x-sovgw-cache") == "bypass");
  CHECK(chat_requests(*w.fake).size() == 4);
  CHECK(w.chat(det_body("public")).header("x-sovgw-cache") == "hit");
  CHECK(chat_requests(*w.fake).size() == 4);
}

TEST_CASE("cache: a stale answer is served when the only backend is dead") {
  World w(/*ttl_seconds=*/1, /*stale_seconds=*/600);
  INFO("sovgw log:\n" << w.gw->log());
  HttpResponse first = w.chat(det_body("status of the loan"));
  REQUIRE(first.status == 200);
  REQUIRE(w.wait_for_stores(1));
  w.fake.reset();  // the only backend is gone: connections are refused

  // Hits while fresh; once the ttl has passed, the failed upstream gives way to the stale answer.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  HttpResponse r;
  do {
    r = w.chat(det_body("status of the loan"));
    if (r.header("x-sovgw-cache") != "hit") break;
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-cache") == "stale");
  CHECK(answer_text(r) == answer_text(first));
  CHECK(std::stoi(r.header("age")) >= 1);

  SseStreamResult s = w.stream(det_body("status of the loan", true));
  CHECK(s.status == 200);
  CHECK(s.header("x-sovgw-cache") == "stale");
  CHECK(stream_text(s) == answer_text(first));
  CHECK(w.stat("stale_served") == 2);

  // A question never answered before still fails.
  HttpResponse unknown = w.chat(det_body("something new"));
  CHECK(unknown.status >= 500);
  CHECK(unknown.header("x-sovgw-cache") == "miss");
}

TEST_CASE("cache: in sovereign mode a foreign-only model is answered from the cache, fresh or stale") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  killswitch::KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, kNoProbes).model("chat", {"foreign"});
  GatewayProcess gw(dir, cfg.str() + "\n" + cache_section(dir, /*ttl_seconds=*/1, /*stale_seconds=*/600));
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  HttpResponse first = http.post_json(gw.url(kChat), det_body("exchange rate"));
  REQUIRE(first.status == 200);
  CHECK(first.header("x-sovgw-cache") == "miss");
  REQUIRE(wait_for_stores(http, gw, 1));
  REQUIRE(http.post_json(gw.admin_url("/admin/sovereign-mode"), R"({"enabled":true})").status == 200);

  // No target may be tried now: a fresh answer is a hit, then (past the ttl) a stale one.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  HttpResponse r;
  do {
    r = http.post_json(gw.url(kChat), det_body("exchange rate"));
    if (r.header("x-sovgw-cache") != "hit") break;
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-cache") == "stale");
  CHECK(answer_text(r) == answer_text(first));
  CHECK(chat_requests(foreign).size() == 1);
  // Anything else is still refused as before.
  HttpResponse other = http.post_json(gw.url(kChat), det_body("something else"));
  CHECK(other.status == 503);
  CHECK(other.header("x-sovgw-cache") == "miss");
}

TEST_CASE("cache: entries expire after ttl_seconds") {
  World w(/*ttl_seconds=*/1, /*stale_seconds=*/0);
  INFO("sovgw log:\n" << w.gw->log());
  REQUIRE(w.chat(det_body("expiring")).header("x-sovgw-cache") == "miss");
  REQUIRE(w.wait_for_stores(1));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  std::string result;
  do {
    result = w.chat(det_body("expiring")).header("x-sovgw-cache");
    if (result != "hit") break;
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  CHECK(result == "miss");
  CHECK(chat_requests(*w.fake).size() == 2);
  REQUIRE(w.wait_for_stores(2));  // the new answer replaces the expired one
  CHECK(w.chat(det_body("expiring")).header("x-sovgw-cache") == "hit");
  CHECK(chat_requests(*w.fake).size() == 2);
}

TEST_CASE("cache: tenants never share answers") {
  GatewayProcess::Options keys;
  keys.env = {{"TEST_A_KEYS", "a-key"}, {"TEST_B_KEYS", "b-key"}};
  World w(60, 600,
          "\n[[tenants]]\nname = \"a\"\napi_keys_env = \"TEST_A_KEYS\"\n[[tenants]]\nname = \"b\"\n"
          "api_keys_env = \"TEST_B_KEYS\"\n",
          keys);
  INFO("sovgw log:\n" << w.gw->log());
  const HttpHeaders a{{"authorization", "Bearer a-key"}};
  const HttpHeaders b{{"authorization", "Bearer b-key"}};
  CHECK(w.chat(det_body("shared question"), a).header("x-sovgw-cache") == "miss");
  REQUIRE(w.wait_for_stores(1));
  CHECK(w.chat(det_body("shared question"), a).header("x-sovgw-cache") == "hit");
  CHECK(w.chat(det_body("shared question"), b).header("x-sovgw-cache") == "miss");
  CHECK(chat_requests(*w.fake).size() == 2);
  REQUIRE(w.wait_for_stores(2));
  CHECK(w.chat(det_body("shared question"), b).header("x-sovgw-cache") == "hit");
  CHECK(chat_requests(*w.fake).size() == 2);
}

TEST_CASE("cache: a request the policy pseudonymises is never cached") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  killswitch::KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, kNoProbes).model("chat", {"foreign"});
  const std::string policy = R"(
[policy]
default_action = "allow"

[[policy.rules]]
name = "contact-details-pseudonymised-abroad"
pii = ["email"]
destinations = ["foreign"]
action = "pseudonymize"
)";
  GatewayProcess gw(dir, cfg.str() + "\n" + cache_section(dir) + policy);
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  const std::string body = det_body("mail kim.minsu@example.co.kr please");
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = http.post_json(gw.url(kChat), body);
    CHECK(r.status == 200);
    CHECK(r.header("x-sovgw-cache") == "bypass");
    CHECK(answer_text(r) == "Hello from foreign: mail kim.minsu@example.co.kr please");
  }
  CHECK(chat_requests(foreign).size() == 2);
  CHECK(cache_stat(http, gw, "stores") == 0);
  // The same model without PII is cached as usual.
  CHECK(http.post_json(gw.url(kChat), det_body("no pii")).header("x-sovgw-cache") == "miss");
  CHECK(wait_for_stores(http, gw, 1));
  CHECK(cache_stat(http, gw, "stores") == 1);  // only that one
}

TEST_CASE("cache: after kill -9 during a write-heavy run the cache opens and serves") {
  World w;
  INFO("sovgw log:\n" << w.gw->log());
  // Two clients write distinct answers as fast as the gateway takes them.
  std::atomic<bool> stop{false};
  auto writer = [&](int id) {
    HttpClient http(2000ms);
    for (int i = 0; !stop.load(); ++i) {
      HttpResponse r = http.post_json(w.gw->url(kChat), det_body("prompt " + std::to_string(id) + "-" + std::to_string(i)));
      if (r.status == 0) break;  // the gateway is gone
    }
  };
  std::vector<std::thread> writers;
  for (int id = 0; id < 2; ++id) writers.emplace_back(writer, id);
  const bool enough = w.wait_for_stores(300, 30000ms);
  w.gw->process().signal(SIGKILL);
  CHECK(w.gw->process().wait_exit(5000ms).has_value());
  stop = true;
  for (auto& t : writers) t.join();
  REQUIRE(enough);

  w.start();  // the same config, the same cache directory
  HttpResponse r = w.chat(det_body("prompt 0-0"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-cache") == "hit");
  CHECK(answer_text(r) == "Hello from local: prompt 0-0");
  CHECK(w.stat("entries") > 0);
  CHECK(w.stat("errors") == 0);
  // And it keeps taking new answers.
  CHECK(w.chat(det_body("after the crash")).header("x-sovgw-cache") == "miss");
  REQUIRE(w.wait_for_stores(1));
  CHECK(w.chat(det_body("after the crash")).header("x-sovgw-cache") == "hit");
}

}  // namespace sovgw::testing
