// The real sovgw relaying SSE streams: events reach the client as the upstream sends them and end
// with [DONE]; a client that hangs up cancels the upstream request at once; a stream the upstream
// cuts or leaves silent past stream_idle_timeout_ms ends with an in-band `data: {"error":...}`
// event and no [DONE]; one that ends at the HTTP level after its finish reason but without [DONE]
// is finalised at once with [DONE].
#include <doctest/doctest.h>

#include <string>

#include "tests/integration/gateway_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;

// The stream carried content, then ended with one error event, no [DONE], with clean HTTP framing.
// Returns the error object of the last event.
gwjson::object check_ends_with_error_event(const SseStreamResult& s) {
  INFO("body: " << s.body);
  CHECK(s.status == 200);
  CHECK(s.ended_cleanly);
  CHECK_FALSE(has_done(s));
  REQUIRE(s.events.size() >= 2);
  gwjson::value last = parse_json(s.events.back());
  REQUIRE(last.is_object());
  const gwjson::value* err = last.as_object().if_contains("error");
  REQUIRE((err && err->is_object()));
  CHECK(err->as_object().contains("message"));
  CHECK(err->as_object().contains("code"));
  return err->as_object();
}

TEST_CASE("gateway: a stream arrives event by event and ends with [DONE]") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  fake.script(R"([{"action":"stream","chunks":4,"delay_ms":200}])");

  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "one two three four", true),
                                  {{"x-request-id", "stream-req-1"}});
  INFO("body: " << s.body);
  CHECK(s.status == 200);
  CHECK(s.header("content-type").starts_with("text/event-stream"));
  CHECK(s.header("x-sovgw-backend") == "alpha");
  CHECK(s.header("x-request-id") == "stream-req-1");
  CHECK(s.ended_cleanly);
  REQUIRE(s.events.size() == 7);  // role, 4 content, finish, [DONE]
  CHECK(s.events.back() == "[DONE]");
  CHECK(stream_text(s) == "Hello from alpha: one two three four");
  // Relayed as they came, not buffered: 200 ms apart at the source. The role-only chunk is held
  // back until the first content (sovgw commits a stream only then), so it arrives with it.
  CHECK(s.event_ms[1] - s.event_ms[0] < 50);
  for (std::size_t i = 2; i < s.events.size(); ++i) {
    CAPTURE(i);
    CHECK(s.event_ms[i] - s.event_ms[i - 1] > 100);
  }
  CHECK(s.event_ms.back() - s.event_ms.front() > 600);

  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(fake.wait_for_outcome(1, "completed", 1000ms).outcome == "completed");  // recorded just after [DONE]
  CHECK(parse_json(seen[0].body).at("model") == "fake-model");
  CHECK(parse_json(seen[0].body).at("stream").as_bool());
  CHECK(seen[0].header("x-request-id") == "stream-req-1");
}

TEST_CASE("gateway: a client that hangs up mid-stream closes the upstream connection promptly") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  fake.script(R"([{"action":"stream","chunks":100,"delay_ms":100}])");

  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi", true), {},
                                  {.max_events = 3});
  CHECK(s.status == 200);
  CHECK(s.hung_up);
  Stopwatch clock;
  FakeRequest seen = fake.wait_for_outcome(1, "client_closed", 2000ms);
  CHECK(seen.outcome == "client_closed");
  CHECK(clock.ms() < 2000);
  CHECK(seen.chunks_sent < 30);

  // The gateway carries on serving.
  HttpResponse after = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(after.status == 200);
}

TEST_CASE("gateway: a client that hangs up before the stream's first byte cancels the upstream request") {
  // A local model queueing the request (slow first byte) must not keep working for a client that
  // is gone: the README promises the upstream request is cancelled at once.
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);  // stream_first_byte_timeout_ms: 15 s default
  cfg.gateway("drain_timeout_ms = 1000");  // the stop at the end need not wait for the hung request
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  fake.script(R"([{"action":"hang"}])");
  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi", true), {},
                                  {.timeout = 500ms});  // then the client closes its connection
  CHECK(s.status == 0);
  CHECK(s.error == "timeout");
  // Well under the 15 s first-byte timeout that would otherwise end it.
  CHECK(fake.wait_for_outcome(1, "client_closed", 2500ms).outcome == "client_closed");
}

TEST_CASE("gateway: a stream the upstream cuts (close_after) ends with an error event and no [DONE]") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  fake.script(R"([{"action":"close_after","chunks":2}])");
  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "one two three four", true));
  check_ends_with_error_event(s);
  CHECK(stream_text(s) == "Hello from");  // the two chunks that did arrive were relayed
}

TEST_CASE("gateway: a stream that ends after its finish reason but without [DONE] is finalised at once") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  fake.script(R"([{"action":"no_done","chunks":3}])");
  const auto started = std::chrono::steady_clock::now();
  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "one two three four", true));
  INFO("body: " << s.body);
  CHECK(s.status == 200);
  CHECK(s.ended_cleanly);
  CHECK(has_done(s));  // the answer was complete: sovgw ends it properly, not after a timeout
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  CHECK(stream_text(s) == "Hello from alpha: one two three four");  // 3 chunks, all the words

  // The connection the gateway used upstream was complete: a later request works.
  HttpResponse after = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(after.status == 200);
}

TEST_CASE("gateway: a stalled stream ends with an error event after stream_idle_timeout_ms") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake, "stream_idle_timeout_ms = 300").str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  fake.script(R"([{"action":"stall_after","chunks":2}])");
  Stopwatch clock;
  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "one two three four", true));
  const double took = clock.ms();
  gwjson::object err = check_ends_with_error_event(s);
  CHECK(err.at("code") == "upstream_timeout");
  CHECK(took >= 250);
  CHECK(took < 3000);
  // The stalled upstream request was abandoned: its connection is closed.
  CHECK(fake.wait_for_outcome(1, "client_closed", 2000ms).outcome == "client_closed");
}

TEST_CASE("gateway: a stream still running at request_timeout_ms ends with an error event") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);
  cfg.gateway("request_timeout_ms = 600");
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  fake.script(R"([{"action":"stream","chunks":40,"delay_ms":100}])");
  Stopwatch clock;
  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi", true));
  const double took = clock.ms();
  gwjson::object err = check_ends_with_error_event(s);
  CHECK(err.at("code") == "upstream_timeout");
  CHECK(took >= 500);
  CHECK(took < 3000);
  CHECK(fake.wait_for_outcome(1, "client_closed", 2000ms).outcome == "client_closed");
}

TEST_CASE("gateway: a streamed text completion is relayed to [DONE]") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  SseStreamResult s = http.stream(gw.url("/v1/completions"), R"({"model":"chat","prompt":"say hi","stream":true})");
  CHECK(s.status == 200);
  CHECK(s.header("x-sovgw-backend") == "alpha");
  CHECK(s.ended_cleanly);
  REQUIRE_FALSE(s.events.empty());
  CHECK(s.events.back() == "[DONE]");
  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].target == "/v1/completions");
}

}  // namespace
}  // namespace sovgw::testing
