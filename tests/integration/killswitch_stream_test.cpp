// The kill switch for streams, through the real sovgw against fake upstreams: before the first
// content a failure (a first token slower than time_to_first_token_ms, a malformed event) fails
// over for free and a 500 is retried once on the same backend; after content the next target
// continues the answer (continuation "prefill": a trailing assistant
// message with the delivered text; "vllm": plus continue_final_message/add_generation_prompt) or
// regenerates it (continuation "none": the delivered prefix must match and is skipped), spliced
// into the one stream under its original chunk id; when nothing can finish it the stream ends
// with an in-band error naming the original cause, and no [DONE]. (Non-stream: killswitch_test.cpp.)
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/integration/gateway_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;

const std::string kContent = "The quick brown fox jumps over the lazy dog";
const std::string kDelivered = "The quick";  // what 2 chunks of kContent carry

// What the fake received on /v1/chat/completions.
std::vector<FakeRequest> chat_requests(FakeUpstream& fake) {
  std::vector<FakeRequest> out;
  for (auto& r : fake.requests()) {
    if (r.target == "/v1/chat/completions") out.push_back(std::move(r));
  }
  return out;
}

// Model "chat" → primary, then fallback; no health probes; `fallback_extra` adds lines (continuation).
ConfigText primary_fallback(const FakeUpstream& primary, const FakeUpstream& fallback, std::string_view primary_extra,
                            std::string_view fallback_extra) {
  ConfigText cfg;
  cfg.backend("primary", primary.base_url(), "health_check = false\n" + std::string(primary_extra))
      .backend("fallback", fallback.base_url(), "health_check = false\n" + std::string(fallback_extra))
      .model("chat", {{"primary", "primary-model"}, {"fallback", "fallback-model"}});
  return cfg;
}

// The `id` of every chat.completion.chunk event (events that are not chunks are left out).
std::vector<std::string> chunk_ids(const SseStreamResult& s) {
  std::vector<std::string> ids;
  for (const auto& data : s.events) {
    gwjson::error_code ec;
    gwjson::value v = gwjson::parse(data, ec);
    if (ec || !v.is_object()) continue;
    const auto* id = v.as_object().if_contains("id");
    if (id && id->is_string()) ids.emplace_back(id->as_string());
  }
  return ids;
}

// Every chunk carries the same id, the first one's; returns it.
std::string check_one_id(const SseStreamResult& s) {
  const auto ids = chunk_ids(s);
  REQUIRE_FALSE(ids.empty());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    CAPTURE(i);
    CHECK(ids[i] == ids[0]);
  }
  return ids[0];
}

// The stream ended cleanly with an error event last and no [DONE]; returns that event's message.
std::string check_error_event(const SseStreamResult& s) {
  INFO("body: " << s.body);
  CHECK(s.status == 200);
  CHECK(s.ended_cleanly);
  CHECK_FALSE(has_done(s));
  REQUIRE_FALSE(s.events.empty());
  gwjson::value last = parse_json(s.events.back());
  REQUIRE(last.is_object());
  const auto* err = last.as_object().if_contains("error");
  REQUIRE((err && err->is_object()));
  const auto* message = err->as_object().if_contains("message");
  REQUIRE((message && message->is_string()));
  return std::string(message->as_string());
}

gwjson::array messages_of(const FakeRequest& r) {
  gwjson::value body = parse_json(r.body);
  if (!body.is_object() || !body.as_object().contains("messages")) return {};
  return body.at("messages").as_array();
}

// The primary cuts its stream after `kDelivered` (`cut`, a behaviour with kContent); the fallback,
// with `continuation`, answers kContent: the client must get one stream with exactly kContent.
// Returns the fallback's recorded request.
// `fallback_chunks` > 0 groups the fallback's words into that many chunks.
FakeRequest check_recovered(std::string_view continuation, const std::string& cut,
                            std::string_view primary_extra = "", int fallback_chunks = 0) {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback, primary_extra,
                                          "continuation = \"" + std::string(continuation) + "\"")
                             .str());
  INFO("sovgw log:\n" << gw.log());
  primary.script("[" + cut + "]");
  const std::string chunks = fallback_chunks > 0 ? R"(,"chunks":)" + std::to_string(fallback_chunks) : "";
  fallback.script(R"([{"action":"normal","content":")" + kContent + R"(")" + chunks + "}]");
  HttpClient http;

  Stopwatch clock;
  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "tell me", true));
  INFO("body: " << s.body);
  CHECK(clock.ms() < 3000);
  CHECK(s.status == 200);
  CHECK(s.header("x-sovgw-backend") == "primary");  // who began the answer
  // ... and where the fallback took over, as a comment SDKs ignore.
  CHECK(s.body.find(": sovgw: the answer continues from backend fallback (") != std::string::npos);
  CHECK(s.header("trailer") == "x-sovgw-final-backend");
  CHECK(s.trailers["x-sovgw-final-backend"] == "fallback");  // ... and who finished it
  CHECK(s.ended_cleanly);
  CHECK(stream_text(s) == kContent);
  CHECK(has_done(s));
  CHECK(s.events.back() == "[DONE]");
  CHECK(s.body.find("\"error\"") == std::string::npos);
  CHECK(check_one_id(s) == "chatcmpl-fake1");  // the primary's id, kept on the fallback's chunks

  auto to_primary = chat_requests(primary);
  REQUIRE(to_primary.size() == 1);
  CHECK(messages_of(to_primary[0]).size() == 1);
  auto to_fallback = chat_requests(fallback);
  REQUIRE(to_fallback.size() == 1);
  gwjson::value body = parse_json(to_fallback[0].body);
  CHECK(body.at("model") == "fallback-model");
  CHECK(body.at("stream") == true);
  CHECK(body.at("messages").at(0).at("role") == "user");
  CHECK(body.at("messages").at(0).at("content") == "tell me");
  return to_fallback[0];
}

const std::string kCloseAfter2 = R"({"action":"close_after","chunks":2,"content":")" + kContent + R"("})";

TEST_CASE("killswitch: a stream whose first token is slower than time_to_first_token_ms is answered by the fallback") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback,
                                          "time_to_first_token_ms = 400\nstream_first_byte_timeout_ms = 400", "")
                             .str());
  INFO("sovgw log:\n" << gw.log());
  primary.script(R"([{"action":"slow_first_byte","delay_ms":1500}])");
  HttpClient http;

  Stopwatch clock;
  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi there", true));
  INFO("body: " << s.body);
  CHECK(clock.ms() < 1500);
  CHECK(s.status == 200);
  CHECK(s.header("x-sovgw-backend") == "fallback");
  CHECK(s.header("x-sovgw-attempts") == "2");
  CHECK(s.ended_cleanly);
  CHECK(stream_text(s) == "Hello from fallback: hi there");
  CHECK(has_done(s));
  check_one_id(s);
  CHECK(primary.wait_for_outcome(1, "client_closed").outcome == "client_closed");  // abandoned
  CHECK(chat_requests(primary).size() == 1);
  CHECK(chat_requests(fallback).size() == 1);
}

TEST_CASE("killswitch: a stream cut mid-answer is continued by a prefill fallback under the same id") {
  FakeRequest continued = check_recovered("prefill", kCloseAfter2);
  gwjson::value body = parse_json(continued.body);
  REQUIRE(body.at("messages").as_array().size() == 2);
  CHECK(body.at("messages").at(1).at("role") == "assistant");
  CHECK(body.at("messages").at(1).at("content") == gwjson::value(kDelivered));
  CHECK_FALSE(body.as_object().contains("continue_final_message"));
  CHECK_FALSE(body.as_object().contains("add_generation_prompt"));
}

TEST_CASE("killswitch: a stream cut mid-answer is continued by a vLLM fallback with continue_final_message") {
  FakeRequest continued = check_recovered("vllm", kCloseAfter2);
  gwjson::value body = parse_json(continued.body);
  REQUIRE(body.at("messages").as_array().size() == 2);
  CHECK(body.at("messages").at(1).at("role") == "assistant");
  CHECK(body.at("messages").at(1).at("content") == gwjson::value(kDelivered));
  CHECK(body.at("continue_final_message") == true);
  CHECK(body.at("add_generation_prompt") == false);
}

TEST_CASE("killswitch: a stream cut mid-answer is regenerated by a fallback without continuation, prefix skipped") {
  FakeRequest regenerated = check_recovered("none", kCloseAfter2);
  gwjson::value body = parse_json(regenerated.body);
  CHECK(body.at("messages").as_array().size() == 1);  // the original request, not a continuation
  CHECK_FALSE(body.as_object().contains("continue_final_message"));
}

TEST_CASE("killswitch: a regenerated answer whose chunks straddle the delivered prefix is cut at the exact byte") {
  // The fallback sends "The quick brown fox" then " jumps over the lazy dog": the client already
  // has "The quick", so only " brown fox" of the first chunk may reach it.
  FakeRequest regenerated = check_recovered("none", kCloseAfter2, "", 2);
  CHECK(parse_json(regenerated.body).at("messages").as_array().size() == 1);
}

TEST_CASE("killswitch: a stream that stalls mid-answer past stream_idle_timeout_ms is continued by the fallback") {
  const std::string stall = R"({"action":"stall_after","chunks":2,"content":")" + kContent + R"("})";
  FakeRequest continued = check_recovered("prefill", stall, "stream_idle_timeout_ms = 400");
  gwjson::value body = parse_json(continued.body);
  REQUIRE(body.at("messages").as_array().size() == 2);
  CHECK(body.at("messages").at(1).at("content") == gwjson::value(kDelivered));
}

TEST_CASE("killswitch: a regenerated answer that differs from the delivered prefix ends with an in-band error") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback, "", "continuation = \"none\"").str());
  INFO("sovgw log:\n" << gw.log());
  primary.script("[" + kCloseAfter2 + "]");
  fallback.script(R"([{"action":"normal","content":"A slow green turtle naps"}])");
  HttpClient http;

  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "tell me", true));
  INFO("body: " << s.body);
  const std::string message = check_error_event(s);
  CHECK(stream_text(s) == kDelivered);  // nothing of the different answer reached the client
  CHECK(s.body.find("turtle") == std::string::npos);
  CHECK(s.body.find("slow") == std::string::npos);
  CHECK(check_one_id(s) == "chatcmpl-fake1");
  // The original cause (the primary's cut), not the fallback's mismatch.
  CHECK(message.find("backend primary: ") != std::string::npos);
  CHECK(message.find("truncated") != std::string::npos);
  CHECK(message.find("fallback") == std::string::npos);
  CHECK(message.find("differs") == std::string::npos);
  CHECK(chat_requests(primary).size() == 1);
  CHECK(chat_requests(fallback).size() == 1);
}

TEST_CASE("killswitch: a fallback that rejects the continuation ends the stream with the original cause") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback, "", "continuation = \"prefill\"").str());
  INFO("sovgw log:\n" << gw.log());
  primary.script("[" + kCloseAfter2 + "]");
  fallback.script(R"([{"action":"status","status":400,"body":{"error":{"message":"assistant prefill is not supported",)"
                  R"("type":"invalid_request_error","param":"messages","code":null}}}])");
  HttpClient http;

  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "tell me", true));
  INFO("body: " << s.body);
  const std::string message = check_error_event(s);
  CHECK(stream_text(s) == kDelivered);
  CHECK(check_one_id(s) == "chatcmpl-fake1");
  CHECK(message.find("backend primary: ") != std::string::npos);
  CHECK(message.find("truncated") != std::string::npos);
  CHECK(message.find("fallback") == std::string::npos);
  CHECK(message.find("prefill is not supported") == std::string::npos);
  CHECK(message.find("400") == std::string::npos);
  CHECK(chat_requests(primary).size() == 1);
  auto to_fallback = chat_requests(fallback);
  REQUIRE(to_fallback.size() == 1);  // a 400 is not retried
  auto messages = messages_of(to_fallback[0]);
  REQUIRE(messages.size() == 2);
  CHECK(messages[1].at("content") == gwjson::value(kDelivered));
}

TEST_CASE("killswitch: a malformed event before any content fails the stream over for free") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback, "", "").str());
  INFO("sovgw log:\n" << gw.log());
  primary.script(R"([{"action":"malformed","chunks":0}])");
  HttpClient http;

  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi there", true));
  INFO("body: " << s.body);
  CHECK(s.status == 200);
  CHECK(s.header("x-sovgw-backend") == "fallback");
  CHECK(s.header("x-sovgw-attempts") == "2");
  CHECK(s.ended_cleanly);
  CHECK(stream_text(s) == "Hello from fallback: hi there");
  CHECK(has_done(s));
  CHECK(s.body.find("not json") == std::string::npos);  // nothing of the broken stream reached the client
  CHECK(check_one_id(s) == "chatcmpl-fake1");  // the fallback's own first (and only) answer
  CHECK(chat_requests(primary).size() == 1);
  auto to_fallback = chat_requests(fallback);
  REQUIRE(to_fallback.size() == 1);
  CHECK(messages_of(to_fallback[0]).size() == 1);  // a fresh request, not a continuation
}

TEST_CASE("killswitch: a stream request that gets a 500 once is retried on the same backend, which streams") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback, "", "").str());
  INFO("sovgw log:\n" << gw.log());
  primary.script(R"([{"action":"status","status":500}])");
  HttpClient http;

  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi there", true));
  INFO("body: " << s.body);
  CHECK(s.status == 200);
  CHECK(s.header("x-sovgw-backend") == "primary");
  CHECK(s.header("x-sovgw-attempts") == "2");
  CHECK(s.ended_cleanly);
  CHECK(stream_text(s) == "Hello from primary: hi there");
  CHECK(has_done(s));
  CHECK(check_one_id(s) == "chatcmpl-fake2");  // the retry's answer
  auto to_primary = chat_requests(primary);
  REQUIRE(to_primary.size() == 2);
  CHECK(to_primary[0].body == to_primary[1].body);
  CHECK(chat_requests(fallback).empty());
}

}  // namespace
}  // namespace sovgw::testing
