// Proves the harness against fake_upstream alone, before any gateway is involved: FakeUpstream
// starts it and reads its control API; HttpClient's whole, streaming and raw modes see what the
// fake's behaviours (normal, stream, status, reset, hang, close_after, stall_after, no_done) send;
// and the fake records a client hanging up as outcome client_closed. The Anthropic Messages answers,
// tool_call and error_after are proved in fake_upstream_anthropic_test.cpp.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <string>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace sovgw::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kChat = R"({"model":"fake-model","messages":[{"role":"user","content":"hi there"}]})";
const std::string kChatStream =
    R"({"model":"fake-model","stream":true,"messages":[{"role":"user","content":"hi there"}]})";

std::string chat_with_model(std::string_view model, bool stream = false) {
  json::object o{{"model", model}, {"messages", json::array{json::object{{"role", "user"}, {"content", "hi"}}}}};
  if (stream) o["stream"] = true;
  return json::serialize(o);
}

// The text a chat.completion.chunk stream carries, concatenated.
std::string stream_text(const SseStreamResult& s) {
  std::string text;
  for (const auto& data : s.events) {
    if (data == "[DONE]") continue;
    json::value v = json::parse(data);
    const auto& choices = v.at("choices").as_array();
    if (choices.empty()) continue;
    if (const auto* c = choices[0].at("delta").as_object().if_contains("content"); c && c->is_string()) {
      text += c->get_string();
    }
  }
  return text;
}

TEST_CASE("fake_upstream: a normal chat completion, recorded with its outcome") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  INFO(fake.log());
  HttpClient http;

  HttpResponse r = http.post_json(fake.base_url() + "/chat/completions", kChat, {{"x-test", "1"}});
  REQUIRE(r.error == "");
  CHECK(r.status == 200);
  CHECK(r.header("x-fake-name") == "alpha");
  json::value body = json::parse(r.body);
  CHECK(body.at("object") == "chat.completion");
  CHECK(body.at("choices").at(0).at("message").at("content") == "Hello from alpha: hi there");

  HttpResponse again = http.post_json(fake.base_url() + "/chat/completions", kChat);
  CHECK(again.status == 200);
  CHECK(again.reused_connection);

  auto reqs = fake.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].seq == 1);
  CHECK(reqs[0].method == "POST");
  CHECK(reqs[0].target == "/v1/chat/completions");
  CHECK(reqs[0].body == kChat);
  CHECK(reqs[0].header("x-test") == "1");
  CHECK(reqs[0].header("content-type") == "application/json");
  CHECK(reqs[0].outcome == "completed");
  CHECK(reqs[1].connection == reqs[0].connection);  // kept alive

  fake.clear();
  CHECK(fake.requests().empty());
  FakeStats stats = fake.stats();
  CHECK(stats.connections_accepted >= 1);
  CHECK(stats.requests >= 2);
}

TEST_CASE("fake_upstream: models, embeddings and unknown paths") {
  TempDir dir;
  FakeUpstream fake(dir, "beta");
  INFO(fake.log());
  HttpClient http;

  HttpResponse models = http.get(fake.base_url() + "/models");
  CHECK(models.status == 200);
  CHECK(models.body.find("fake-model") != std::string::npos);

  HttpResponse emb = http.post_json(fake.base_url() + "/embeddings", R"({"model":"fake-model","input":["a","b"]})");
  REQUIRE(emb.status == 200);
  json::value v = json::parse(emb.body);
  REQUIRE(v.at("data").as_array().size() == 2);
  CHECK(v.at("data").at(1).at("index") == 1);
  CHECK(v.at("data").at(0).at("embedding").as_array().size() == 8);

  HttpResponse missing = http.get(fake.base_url() + "/nope");
  CHECK(missing.status == 404);
  CHECK(json::parse(missing.body).as_object().contains("error"));
}

TEST_CASE("fake_upstream: a stream arrives event by event and ends with [DONE]") {
  TempDir dir;
  FakeUpstream fake(dir, "gamma");
  INFO(fake.log());
  HttpClient http;

  SseStreamResult s = http.stream(fake.base_url() + "/chat/completions", kChatStream);
  INFO(s.body);
  CHECK(s.error == "");
  CHECK(s.status == 200);
  CHECK(s.header("content-type").starts_with("text/event-stream"));
  CHECK(s.ended_cleanly);
  CHECK_FALSE(s.hung_up);
  REQUIRE(s.events.size() >= 3);
  CHECK(s.events.back() == "[DONE]");
  CHECK(json::parse(s.events.front()).at("choices").at(0).at("delta").at("role") == "assistant");
  CHECK(stream_text(s) == "Hello from gamma: hi there");
  CHECK(fake.wait_for_outcome(1, "completed").outcome == "completed");

  SUBCASE("events are seen as they arrive, not when the body ends") {
    fake.script(R"([{"action":"stream","chunks":3,"delay_ms":60}])");
    SseStreamResult slow = http.stream(fake.base_url() + "/chat/completions", kChatStream);
    REQUIRE(slow.events.size() >= 5);  // role, 3 content chunks, finish, [DONE]
    CHECK(slow.ended_cleanly);
    CHECK(slow.event_ms.back() - slow.event_ms.front() >= 100);
  }
}

TEST_CASE("fake_upstream: scripted statuses pop from the queue, then the default applies") {
  TempDir dir;
  FakeUpstream fake(dir, "delta");
  INFO(fake.log());
  HttpClient http;
  const std::string url = fake.base_url() + "/chat/completions";

  fake.script(
      R"([{"action":"status","status":429,"body":"{\"error\":{\"message\":\"slow down\"}}","headers":{"retry-after":"2"}}])",
      R"({"action":"status","status":503,"body":"down"})");
  HttpResponse first = http.post_json(url, kChat);
  CHECK(first.status == 429);
  CHECK(first.header("retry-after") == "2");
  CHECK(first.body.find("slow down") != std::string::npos);
  CHECK(http.post_json(url, kChat).status == 503);
  CHECK(http.post_json(url, kChat).status == 503);

  fake.clear_script();
  CHECK(http.post_json(url, kChat).status == 200);

  SUBCASE("a behaviour in the model name takes precedence over the queue") {
    fake.script(R"([{"action":"status","status":500}])");
    CHECK(http.post_json(url, chat_with_model("fake:status?status=418")).status == 418);
  }
}

TEST_CASE("fake_upstream: reset closes the connection before any response byte") {
  TempDir dir;
  FakeUpstream fake(dir, "epsilon");
  INFO(fake.log());
  HttpClient http;

  fake.script(R"([{"action":"reset"}])");
  HttpResponse r = http.post_json(fake.base_url() + "/chat/completions", kChat);
  CHECK(r.status == 0);
  CHECK(r.error == "reset");
  CHECK(fake.wait_for_outcome(1, "reset").outcome == "reset");
}

TEST_CASE("fake_upstream: a hanging request becomes client_closed when the client gives up") {
  TempDir dir;
  FakeUpstream fake(dir, "zeta");
  INFO(fake.log());
  HttpClient http;

  fake.script(R"([{"action":"hang"}])");
  HttpResponse r = http.request("POST", fake.base_url() + "/chat/completions", kChat, {}, 300ms);
  CHECK(r.status == 0);
  CHECK(r.error == "timeout");
  CHECK(fake.wait_for_outcome(1, "client_closed").outcome == "client_closed");
}

TEST_CASE("fake_upstream: hanging up mid-stream is recorded as client_closed") {
  TempDir dir;
  FakeUpstream fake(dir, "eta");
  INFO(fake.log());
  HttpClient http;

  fake.script(R"([{"action":"stream","chunks":100,"delay_ms":20}])");
  SseStreamResult s = http.stream(fake.base_url() + "/chat/completions", kChatStream, {}, {.max_events = 2});
  CHECK(s.events.size() == 2);
  CHECK(s.hung_up);
  CHECK_FALSE(s.ended_cleanly);
  CHECK(s.error == "");
  FakeRequest req = fake.wait_for_outcome(1, "client_closed");
  CHECK(req.outcome == "client_closed");
  CHECK(req.chunks_sent < 100);
}

TEST_CASE("fake_upstream: broken streams") {
  TempDir dir;
  FakeUpstream fake(dir, "theta");
  INFO(fake.log());
  HttpClient http;
  const std::string url = fake.base_url() + "/chat/completions";

  SUBCASE("close_after: the body ends without its last chunk") {
    fake.script(R"([{"action":"close_after","chunks":2}])");
    SseStreamResult s = http.stream(url, kChatStream);
    CHECK(s.status == 200);
    CHECK_FALSE(s.ended_cleanly);
    CHECK(s.error == "partial");
    REQUIRE_FALSE(s.events.empty());
    CHECK(s.events.back() != "[DONE]");
  }
  SUBCASE("stall_after: the stream goes quiet until the client's timeout") {
    fake.script(R"([{"action":"stall_after","chunks":2}])");
    SseStreamResult s = http.stream(url, kChatStream, {}, {.timeout = 400ms});
    CHECK(s.status == 200);
    CHECK_FALSE(s.ended_cleanly);
    CHECK(s.error == "timeout");
    CHECK_FALSE(s.events.empty());
  }
  SUBCASE("no_done: a clean end without [DONE]") {
    fake.script(R"([{"action":"no_done","chunks":2}])");
    SseStreamResult s = http.stream(url, kChatStream);
    CHECK(s.ended_cleanly);
    REQUIRE_FALSE(s.events.empty());
    CHECK(s.events.back() != "[DONE]");
  }
  SUBCASE("malformed: one event is not JSON, the stream goes on to [DONE]") {
    fake.script(R"([{"action":"malformed","chunks":1}])");
    SseStreamResult s = http.stream(url, kChatStream);
    CHECK(s.ended_cleanly);
    CHECK(std::count(s.events.begin(), s.events.end(), "{not json") == 1);
    CHECK(s.events.back() == "[DONE]");
  }
}

TEST_CASE("fake_upstream: raw mode sends bytes as given and reads to the close") {
  TempDir dir;
  FakeUpstream fake(dir, "iota");
  INFO(fake.log());
  HttpClient http;
  const std::string request = "GET /_fake/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

  RawResult whole = http.raw(fake.url("/"), request);
  CHECK(whole.status() == 200);
  CHECK(whole.peer_closed);
  CHECK_FALSE(whole.timed_out);
  CHECK(whole.received.find("connections_accepted") != std::string::npos);

  RawResult pieces = http.raw(fake.url("/"), {request.substr(0, 10), request.substr(10, 20), request.substr(30)},
                              {.interval = 30ms});
  CHECK(pieces.status() == 200);
  CHECK(pieces.closed_after_ms >= 60);

  RawResult open = http.raw(fake.url("/"), "GET /_fake/stats HTTP/1.1\r\nHo", {.timeout = 200ms});
  CHECK(open.timed_out);
  CHECK(open.received == "");

  RawResult garbage = http.raw(fake.url("/"), "\x01\x02 nonsense\r\n\r\n");
  CHECK((garbage.peer_closed || garbage.status() == 400));
}

TEST_CASE("fake_upstream: over TLS, the control API and requests use HTTPS") {
  const std::string certs = std::string(SOVGW_SOURCE_DIR) + "/tests/fakes/certs/";
  TempDir dir;
  FakeUpstream fake(dir, FakeUpstream::Options{
                             .name = "kappa", .tls_cert = certs + "server.pem", .tls_key = certs + "server-key.pem"});
  INFO(fake.log());
  CHECK(fake.base_url().starts_with("https://127.0.0.1:"));

  HttpClient verified(5000ms, certs + "ca.pem");
  HttpResponse r = verified.post_json(fake.base_url() + "/chat/completions", kChat);
  CHECK(r.error == "");
  CHECK(r.status == 200);
  CHECK(fake.wait_for_requests(1).size() == 1);  // the control API over HTTPS too

  TempDir other;
  FakeUpstream untrusted(other, FakeUpstream::Options{.name = "lambda",
                                                      .tls_cert = certs + "untrusted.pem",
                                                      .tls_key = certs + "untrusted-key.pem"});
  HttpResponse refused = verified.get(untrusted.base_url() + "/models");
  CHECK(refused.status == 0);
  CHECK(refused.error != "");
}

}  // namespace
}  // namespace sovgw::testing
