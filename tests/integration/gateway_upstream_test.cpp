// The real sovgw against upstreams that fail: a refused connection fails over to the next target,
// every target refused is 502 upstream_unreachable, a silent upstream is 504 upstream_timeout after
// the first-byte timeout, an HTML 5xx page becomes a 502 in OpenAI's shape, and an upstream's own
// JSON error (429) is relayed as it is; an upstream that resets before answering is a network
// failure and the next target answers; an oversized buffered answer is 502. (TLS: gateway_tls_test.cpp.)
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "tests/integration/gateway_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;

TEST_CASE("gateway: a refused first target fails over to the second, which answers") {
  TempDir dir;
  FakeUpstream beta(dir, "beta");
  ConfigText cfg;
  cfg.backend("dead", closed_base_url(), "connect_timeout_ms = 1000")
      .backend("beta", beta.base_url())
      .model("chat", {{"dead", "dead-model"}, {"beta", "beta-model"}});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  for (bool stream : {false, true}) {
    CAPTURE(stream);
    beta.clear();
    if (!stream) {
      HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
      CHECK(r.status == 200);
      CHECK(r.header("x-sovgw-backend") == "beta");
      CHECK(parse_json(r.body).at("choices").at(0).at("message").at("content") == "Hello from beta: hi there");
    } else {
      SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi there", true));
      CHECK(s.status == 200);
      CHECK(s.header("x-sovgw-backend") == "beta");
      CHECK(stream_text(s) == "Hello from beta: hi there");
      CHECK(has_done(s));
    }
    auto seen = beta.requests();
    REQUIRE(seen.size() == 1);
    CHECK(parse_json(seen[0].body).at("model") == "beta-model");
  }
}

TEST_CASE("gateway: a stopped fake as first target fails over to the second") {
  TempDir dir;
  auto alpha = std::make_unique<FakeUpstream>(dir, "alpha");
  FakeUpstream beta(dir, "beta");
  ConfigText cfg;
  cfg.backend("alpha", alpha->base_url()).backend("beta", beta.base_url()).model("chat", {{"alpha", "a"}, {"beta", "b"}});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  HttpResponse first = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(first.header("x-sovgw-backend") == "alpha");
  alpha.reset();  // its pooled connection goes stale, then new connections are refused

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "after"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "beta");
  CHECK(parse_json(r.body).at("choices").at(0).at("message").at("content") == "Hello from beta: after");
  CHECK(beta.requests().size() == 1);
}

TEST_CASE("gateway: an upstream that resets before answering is failed over to the next target") {
  // Reset before the response header is the `network` class of the kill-switch issue: the client
  // must get its answer from the next target (an LLM request is safe to send again; it costs
  // tokens, not correctness).
  TempDir dir;
  FakeUpstream alpha(dir, "alpha");
  FakeUpstream beta(dir, "beta");
  ConfigText cfg;
  cfg.backend("alpha", alpha.base_url()).backend("beta", beta.base_url()).model("chat", {{"alpha", "a"}, {"beta", "b"}});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  alpha.script(R"([{"action":"reset"}])");
  HttpClient http;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "beta");
  CHECK(r.header("x-sovgw-attempts") == "2");
  CHECK(alpha.requests().size() == 1);
  CHECK(beta.requests().size() == 1);
}

TEST_CASE("gateway: a non-stream upstream body over max_response_bytes is 502, not relayed") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);
  cfg.gateway("max_response_bytes = 1024");
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  fake.script(R"([{"action":"normal","content":")" + std::string(3000, 'z') + R"("}])");
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 502);
  check_openai_error(r.body, "upstream_protocol_error");
  CHECK(r.body.find("zzzz") == std::string::npos);
  HttpResponse after = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(after.status == 200);
}

TEST_CASE("gateway: every target refused is 502 upstream_unreachable") {
  TempDir dir;
  ConfigText cfg;
  cfg.backend("dead1", closed_base_url())
      .backend("dead2", closed_base_url())
      .model("chat", {{"dead1", "m"}, {"dead2", "m"}});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  Stopwatch clock;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(clock.ms() < 3000);
  CHECK(r.status == 502);
  gwjson::object e = check_openai_error(r.body, "upstream_unreachable");
  CHECK_FALSE(r.header("x-request-id").empty());

  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi", true));
  CHECK(s.status == 502);
  check_openai_error(s.body, "upstream_unreachable");
}

TEST_CASE("gateway: an upstream that never answers is 504 upstream_timeout after first_byte_timeout_ms") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake, "first_byte_timeout_ms = 300\nstream_first_byte_timeout_ms = 300").str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  fake.script(R"([{"action":"hang"},{"action":"hang"}])");

  Stopwatch clock;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  const double took = clock.ms();
  CHECK(r.status == 504);
  check_openai_error(r.body, "upstream_timeout");
  CHECK(took >= 250);
  CHECK(took < 3000);
  // The gateway gave up on the upstream request: its connection is closed.
  CHECK(fake.wait_for_outcome(1, "client_closed", 2000ms).outcome == "client_closed");

  Stopwatch stream_clock;
  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi", true));
  CHECK(stream_clock.ms() < 3000);
  CHECK(s.status == 504);
  check_openai_error(s.body, "upstream_timeout");
}

TEST_CASE("gateway: an upstream 5xx with an HTML body becomes a 502 in OpenAI's shape") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  // Twice: a 5xx earns one quick retry on the same backend (kill-switch issue), then it is final.
  const std::string html_503 = R"({"action":"status","status":503,"content_type":"text/html",)"
                               R"("body":"<html><body><h1>503 Service Unavailable</h1>secret-internal-host</body></html>"})";
  fake.script("[" + html_503 + "," + html_503 + "]");
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 502);
  CHECK(r.header("content-type").starts_with("application/json"));
  CHECK(r.header("x-sovgw-backend") == "alpha");
  check_openai_error(r.body, "upstream_error");
  CHECK(r.body.find("<html>") == std::string::npos);
  CHECK(r.body.find("secret-internal-host") == std::string::npos);
  CHECK(fake.requests().size() == 2);
  CHECK(r.header("x-sovgw-attempts") == "2");

  // The connection is still usable afterwards.
  HttpResponse after = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(after.status == 200);
}

TEST_CASE("gateway: an upstream 429 JSON error is relayed with its status, body and retry-after") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  const std::string body =
      R"({"error":{"message":"Rate limit reached for fake-model","type":"requests","param":null,"code":"rate_limit_exceeded"}})";
  fake.script(R"([{"action":"status","status":429,"retry_after":7,"body":)" + body + "}]");
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 429);
  CHECK(r.header("x-sovgw-backend") == "alpha");
  CHECK(r.header("retry-after") == "7");
  CHECK(parse_json(r.body) == parse_json(body));
  CHECK(fake.requests().size() == 1);  // relayed, not retried

  // The backend is now busy for 7 s: sovgw does not hammer it. A streaming request is answered
  // 429 by sovgw itself (its only target is rate limited), as JSON, not as an event stream.
  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi", true));
  CHECK(s.status == 429);
  check_openai_error(s.body, "rate_limit_exceeded");
  CHECK(fake.requests().size() == 1);
}

}  // namespace
}  // namespace sovgw::testing
