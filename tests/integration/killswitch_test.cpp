// The kill switch through the real sovgw against fake upstreams, before any byte reaches the
// client: a provider that cuts us off (403 region block, 401 key, 429 insufficient_quota) is taken
// out of rotation at once and skipped at no cost; a silent upstream is abandoned after the
// first-byte timeout; a 5xx gets one retry on the same backend, then the next target; a request's
// own fault (400 context_length_exceeded) goes back to the client unless the model allows
// fallback; a 429 (or 503) with Retry-After makes the backend busy until then; three network
// failures open the breaker and one half-open request closes it again. Health checks find a black
// hole with no traffic and bring a cut-off backend back; sovereign mode (by admin or automatic)
// and the drill report who keeps serving when the foreign providers go away.
// (Streams: killswitch_stream_test.cpp; health checks, breaker, sovereign mode, drill:
// killswitch_admin_test.cpp.)
#include <doctest/doctest.h>

#include "tests/integration/killswitch_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;
using namespace killswitch;

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

}  // namespace
}  // namespace sovgw::testing
