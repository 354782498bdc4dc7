// Stored answers replayed as SSE and as JSON, and streams captured into stored answers: a replay
// is a well-formed OpenAI stream, replay → capture gives the stored answer back whichever way it
// was stored, and a truncated, failed or multi-choice stream is never complete.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <boost/json.hpp>

#include "backends/sse_parser.hpp"
#include "cache/cached_answer.hpp"
#include "cache/sse_replay.hpp"
#include "cache/stream_capture.hpp"

namespace {

namespace json = boost::json;
using sovgw::cache::AnswerKind;
using sovgw::cache::CachedAnswer;
using sovgw::cache::ReplayOptions;
using sovgw::cache::StreamCapture;

constexpr const char* kTextAnswer = R"({"id":"chatcmpl-1","object":"chat.completion","created":1700000000,
  "model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1",
  "choices":[{"index":0,"message":{"role":"assistant","content":"대출 위험: 낮음. Low risk — approve."},
              "logprobs":null,"finish_reason":"stop"}],
  "usage":{"prompt_tokens":20,"completion_tokens":9,"total_tokens":29}})";

constexpr const char* kToolAnswer = R"({"id":"chatcmpl-2","object":"chat.completion","created":1700000001,
  "model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
    {"id":"call_a","type":"function","function":{"name":"get_rate","arguments":"{\"currency\":\"KRW\"}"}},
    {"id":"call_b","type":"function","function":{"name":"get_score","arguments":"{}"}}]},
  "logprobs":null,"finish_reason":"tool_calls"}]})";

constexpr const char* kRefusalAnswer = R"({"id":"chatcmpl-3","object":"chat.completion","created":1,"model":"m",
  "choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},
  "logprobs":null,"finish_reason":"stop"}]})";

CachedAnswer chat(std::string_view body) { return CachedAnswer{AnswerKind::kChatCompletion, std::string(body), {}, true}; }

// The data of every event in an SSE body.
std::vector<std::string> events_of(const std::string& body) {
  std::vector<std::string> events;
  sovgw::backends::SseParser parser;
  REQUIRE(parser.feed(body, [&](const sovgw::backends::SseEvent& event) {
    REQUIRE(event.has_data);
    events.push_back(event.data);
  }));
  CHECK(parser.pending_bytes() == 0);
  return events;
}

// Feeds every event of a replay to a capture and returns the assembled answer.
json::value round_trip(std::string_view stored, ReplayOptions options = {}) {
  auto sse = sovgw::cache::replay_sse(chat(stored), options);
  REQUIRE(sse);
  StreamCapture capture;
  for (const auto& data : events_of(*sse)) capture.on_event(data);
  REQUIRE(capture.complete());
  auto answer = capture.answer();
  REQUIRE(answer);
  return json::parse(*answer);
}

std::vector<std::string> split_events(std::string_view text) {
  std::vector<std::string> out;
  const auto parsed = json::parse(text);
  for (const auto& line : parsed.as_array()) out.push_back(json::serialize(line));
  return out;
}

}  // namespace

TEST_CASE("sse replay: a well-formed OpenAI stream") {
  ReplayOptions options;
  options.include_usage = true;
  options.piece_bytes = 8;
  auto sse = sovgw::cache::replay_sse(chat(kTextAnswer), options);
  REQUIRE(sse);
  const auto events = events_of(*sse);
  REQUIRE(events.size() >= 5);
  CHECK(events.back() == "[DONE]");
  std::string content;
  int finish_chunks = 0;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    CAPTURE(events[i]);
    const auto chunk = json::parse(events[i]).as_object();
    CHECK(chunk.at("id") == "chatcmpl-1");
    CHECK(chunk.at("object") == "chat.completion.chunk");
    CHECK(chunk.at("model") == "gpt-4o-2024-08-06");
    CHECK(chunk.at("created") == 1700000000);
    CHECK(chunk.at("system_fingerprint") == "fp_1");
    REQUIRE(chunk.contains("usage"));
    const auto& choices = chunk.at("choices").as_array();
    if (i + 2 == events.size()) {  // the usage chunk comes last, with no choices
      CHECK(choices.empty());
      CHECK(chunk.at("usage").at("total_tokens") == 29);
      continue;
    }
    CHECK(chunk.at("usage").is_null());
    REQUIRE(choices.size() == 1);
    const auto& delta = choices[0].at("delta").as_object();
    if (i == 0) CHECK(delta.at("role") == "assistant");
    if (const auto* piece = delta.if_contains("content")) {
      CHECK(piece->as_string().size() <= 8 + 3);  // a whole UTF-8 character may overrun
      content += piece->as_string();
    }
    if (!choices[0].at("finish_reason").is_null()) {
      ++finish_chunks;
      CHECK(choices[0].at("finish_reason") == "stop");
    }
  }
  CHECK(finish_chunks == 1);
  CHECK(content == "대출 위험: 낮음. Low risk — approve.");
}

TEST_CASE("sse replay: without include_usage there is no usage chunk and no usage field") {
  auto sse = sovgw::cache::replay_sse(chat(kTextAnswer));
  REQUIRE(sse);
  for (const auto& data : events_of(*sse)) {
    if (data == "[DONE]") continue;
    CHECK_FALSE(json::parse(data).as_object().contains("usage"));
  }
}

TEST_CASE("sse replay: round-trips through StreamCapture") {
  for (const char* stored : {kTextAnswer, kToolAnswer, kRefusalAnswer}) {
    CAPTURE(stored);
    for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{1024}}) {
      ReplayOptions options;
      options.piece_bytes = piece;
      options.include_usage = true;
      CHECK(round_trip(stored, options) == json::parse(stored));
    }
  }
}

TEST_CASE("sse replay: the id can be replaced; raw JSON does not stream") {
  ReplayOptions options;
  options.id = "chatcmpl-sovgw-9";
  CHECK(round_trip(kTextAnswer, options).at("id") == "chatcmpl-sovgw-9");
  CHECK(json::parse(sovgw::cache::replay_json(chat(kTextAnswer), options)).at("id") == "chatcmpl-sovgw-9");
  CHECK(sovgw::cache::replay_json(chat(kTextAnswer)) == kTextAnswer);
  const CachedAnswer raw{AnswerKind::kRawJson, R"({"object":"list","data":[]})", {}, true};
  CHECK_FALSE(sovgw::cache::replay_sse(raw));
  CHECK(sovgw::cache::replay_json(raw, options) == raw.body);
}

// What an OpenAI stream with tool calls looks like on the wire, as the relay forwards it.
constexpr const char* kUpstreamToolStream = R"([
  {"id":"c9","object":"chat.completion.chunk","created":5,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"lookup","arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null},
  {"id":"c9","object":"chat.completion.chunk","created":5,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"id\":"}}]},"logprobs":null,"finish_reason":null}],"usage":null},
  {"id":"c9","object":"chat.completion.chunk","created":5,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"42}"}}]},"logprobs":null,"finish_reason":null}],"usage":null},
  {"id":"c9","object":"chat.completion.chunk","created":5,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"other","arguments":"{}"}}]},"logprobs":null,"finish_reason":null}],"usage":null},
  {"id":"c9","object":"chat.completion.chunk","created":5,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null},
  {"id":"c9","object":"chat.completion.chunk","created":5,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}
])";

TEST_CASE("stream capture: tool call deltas by index, usage, then replayed as JSON and SSE") {
  StreamCapture capture;
  for (const auto& data : split_events(kUpstreamToolStream)) capture.on_event(data);
  CHECK_FALSE(capture.complete());  // no [DONE] yet
  capture.on_event("[DONE]");
  REQUIRE(capture.complete());
  const auto stored = *capture.answer();
  const auto answer = json::parse(stored).as_object();
  CHECK(answer.at("object") == "chat.completion");
  CHECK(answer.at("id") == "c9");
  const auto& message = answer.at("choices").at(0).at("message").as_object();
  CHECK(message.at("content").is_null());
  const auto& calls = message.at("tool_calls").as_array();
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].at("id") == "call_1");
  CHECK(calls[0].at("function").at("name") == "lookup");
  CHECK(calls[0].at("function").at("arguments") == "{\"id\":42}");
  CHECK(calls[1].at("function").at("name") == "other");
  CHECK(answer.at("choices").at(0).at("finish_reason") == "tool_calls");
  CHECK(answer.at("usage").at("total_tokens") == 7);
  // Stored from a stream, served to a non-stream client as it is and to a stream client again.
  CHECK(sovgw::cache::storable_chat_completion(stored));
  ReplayOptions with_usage;
  with_usage.include_usage = true;
  CHECK(round_trip(stored, with_usage) == json::parse(stored));
  // Without include_usage the client gets no usage chunk, as from a provider.
  CHECK_FALSE(round_trip(stored).as_object().contains("usage"));
}

TEST_CASE("stream capture: a stream stored non-stream and one captured from its replay agree") {
  auto stored = sovgw::cache::storable_chat_completion(kTextAnswer);
  REQUIRE(stored);
  const auto via_stream = round_trip(*stored);
  CHECK(via_stream.at("choices").at(0).at("message").at("content") ==
        json::parse(kTextAnswer).at("choices").at(0).at("message").at("content"));
}

TEST_CASE("stream capture: a truncated stream is never complete") {
  auto sse = sovgw::cache::replay_sse(chat(kTextAnswer), ReplayOptions{"", true, 4});
  REQUIRE(sse);
  const auto events = events_of(*sse);
  // Cut after every event but the last: never complete.
  for (std::size_t cut = 0; cut < events.size(); ++cut) {
    StreamCapture capture;
    for (std::size_t i = 0; i < cut; ++i) capture.on_event(events[i]);
    CAPTURE(cut);
    CHECK_FALSE(capture.complete());
    CHECK_FALSE(capture.answer());
  }
  SUBCASE("[DONE] without a finish reason") {
    StreamCapture capture;
    capture.on_event(events[0]);
    capture.on_event(events[1]);
    capture.on_event("[DONE]");
    CHECK_FALSE(capture.complete());
  }
  SUBCASE("an in-band error event") {
    StreamCapture capture;
    for (std::size_t i = 0; i + 1 < events.size(); ++i) capture.on_event(events[i]);
    capture.on_event(R"({"error":{"message":"upstream failed","type":"server_error"}})");
    capture.on_event("[DONE]");
    CHECK(capture.failed());
    CHECK_FALSE(capture.complete());
  }
  SUBCASE("a malformed event") {
    StreamCapture capture;
    capture.on_event(events[0]);
    capture.on_event("{not json");
    for (std::size_t i = 1; i < events.size(); ++i) capture.on_event(events[i]);
    CHECK_FALSE(capture.complete());
  }
  SUBCASE("a second choice") {
    StreamCapture capture;
    for (std::size_t i = 0; i + 1 < events.size(); ++i) capture.on_event(events[i]);
    capture.on_event(R"({"id":"x","choices":[{"index":1,"delta":{"content":"b"},"finish_reason":"stop"}]})");
    capture.on_event("[DONE]");
    CHECK_FALSE(capture.complete());
  }
  SUBCASE("over the size limit") {
    StreamCapture capture(64);
    for (const auto& data : events) capture.on_event(data);
    CHECK_FALSE(capture.complete());
  }
}

TEST_CASE("stored answers: only complete single-choice answers are stored") {
  CHECK(sovgw::cache::storable_chat_completion(kToolAnswer));
  CHECK_FALSE(sovgw::cache::storable_chat_completion(R"({"error":{"message":"x"}})"));
  CHECK_FALSE(sovgw::cache::storable_chat_completion("not json"));
  CHECK_FALSE(sovgw::cache::storable_chat_completion(
      R"({"choices":[{"index":0,"message":{"content":"a"},"finish_reason":null}]})"));
  CHECK_FALSE(sovgw::cache::storable_chat_completion(
      R"({"choices":[{"index":0,"message":{"content":"a"},"finish_reason":"stop"},
                     {"index":1,"message":{"content":"b"},"finish_reason":"stop"}]})"));
  CHECK(sovgw::cache::storable_raw_answer(R"({"object":"list","data":[{"embedding":[0.1]}]})", false));
  CHECK_FALSE(sovgw::cache::storable_raw_answer(R"({"error":{}})", false));
  CHECK(sovgw::cache::storable_raw_answer(R"({"choices":[{"text":"x","finish_reason":"length"}]})", true));
  CHECK_FALSE(sovgw::cache::storable_raw_answer(R"({"choices":[{"text":"x","finish_reason":null}]})", true));
}

TEST_CASE("stored answers: the value layout round-trips") {
  const auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));
  const auto value = sovgw::cache::encode_answer(AnswerKind::kRawJson, at, R"({"a":1})");
  auto back = sovgw::cache::decode_answer(value);
  REQUIRE(back);
  CHECK(back->kind == AnswerKind::kRawJson);
  CHECK(back->stored_at == at);
  CHECK(back->body == R"({"a":1})");
  CHECK_FALSE(sovgw::cache::decode_answer("short"));
  std::string other_version = value;
  other_version[0] = 2;
  CHECK_FALSE(sovgw::cache::decode_answer(other_version));
}
