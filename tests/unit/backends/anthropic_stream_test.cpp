// Streamed translation event by event: Anthropic Messages SSE → OpenAI chunks and OpenAI chunks →
// Anthropic events, from real-format recordings with text and parallel tool calls, mid-stream
// errors, truncation, and the upstream bytes split at every boundary.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "backends/anthropic_to_openai_stream.hpp"
#include "backends/openai_to_anthropic_stream.hpp"
#include "backends/sse_parser.hpp"

namespace json = boost::json;
using namespace sovgw::backends;

namespace {

// Shaped like the Anthropic SDK's recorded streams: text block, two tool_use blocks with
// input_json_delta fragments, a ping, trailing spaces inside a data line, usage at start and end.
constexpr const char* kAnthropicToolStream =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK\",\"type\":\"message\","
    "\"role\":\"assistant\",\"content\":[],\"model\":\"claude-3-opus-latest\",\"stop_reason\":null,\"stop_sequence\":null,"
    "\"usage\":{\"input_tokens\":11,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: ping\n"
    "data: {\"type\": \"ping\"}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Checking\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" both.\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01A\","
    "\"name\":\"get_weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Paris\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01B\","
    "\"name\":\"get_weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Oslo\\\"}\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"       }\n\n";

const char* kExpectedOpenAiChunks[] = {
    R"({"delta":{"role":"assistant","content":""},"finish_reason":null})",
    R"({"delta":{"content":"Checking"},"finish_reason":null})",
    R"({"delta":{"content":" both."},"finish_reason":null})",
    R"({"delta":{"tool_calls":[{"index":0,"id":"toolu_01A","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null})",
    R"({"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\": "}}]},"finish_reason":null})",
    R"({"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null})",
    R"({"delta":{"tool_calls":[{"index":1,"id":"toolu_01B","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null})",
    R"({"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"city\": \"Oslo\"}"}}]},"finish_reason":null})",
    R"({"delta":{},"finish_reason":"tool_calls"})",
};

struct Event {
  std::string name;
  std::string data;
};

std::vector<Event> parse_sse(std::string_view bytes) {
  std::vector<Event> events;
  SseParser parser;
  parser.feed(bytes, [&](const SseEvent& ev) { events.push_back({ev.event, ev.data}); });
  return events;
}

// Feeds `upstream` to an Anthropic→OpenAI translator in the given pieces; returns the client bytes.
std::string translate_anthropic(const std::vector<std::string_view>& pieces, bool include_usage) {
  AnthropicToOpenAiStream t({.model = "gpt-4o", .created = 1727346171, .include_usage = include_usage});
  SseParser parser;
  std::string out;
  for (auto piece : pieces) {
    parser.feed(piece, [&](const SseEvent& ev) { REQUIRE(t.feed(ev.event, ev.data, out)); });
  }
  CHECK(t.finish());
  return out;
}

}  // namespace

TEST_CASE("anthropic: a streamed Anthropic tool-use message becomes OpenAI chunks, usage chunk and [DONE]") {
  const auto events = parse_sse(translate_anthropic({kAnthropicToolStream}, true));
  const std::size_t n = std::size(kExpectedOpenAiChunks);
  REQUIRE(events.size() == n + 2);
  for (std::size_t i = 0; i < n; ++i) {
    CAPTURE(i);
    const auto chunk = json::parse(events[i].data).as_object();
    CHECK(chunk.at("id") == "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK");
    CHECK(chunk.at("object") == "chat.completion.chunk");
    CHECK(chunk.at("model") == "gpt-4o");
    CHECK(chunk.at("created") == 1727346171);
    auto choice = chunk.at("choices").at(0).as_object();
    CHECK(choice.at("index") == 0);
    choice.erase("index");
    choice.erase("logprobs");
    CHECK(json::value(choice) == json::parse(kExpectedOpenAiChunks[i]));
    // What the relay's progress detector makes of it: only the role chunk is not progress.
    CHECK((inspect_chunk(events[i].data).kind == ChunkKind::kProgress) == (i != 0));
  }
  const auto usage = json::parse(events[n].data);
  CHECK(usage.at("choices").as_array().empty());
  CHECK(usage.at("usage") == json::parse(R"({"prompt_tokens":11,"completion_tokens":89,"total_tokens":100})"));
  CHECK(events[n + 1].data == "[DONE]");

  // Without include_usage there is no usage chunk.
  const auto plain = parse_sse(translate_anthropic({kAnthropicToolStream}, false));
  REQUIRE(plain.size() == n + 1);
  CHECK(plain.back().data == "[DONE]");
}

TEST_CASE("anthropic: the upstream stream split at every byte and event boundary translates the same") {
  const std::string_view all = kAnthropicToolStream;
  const std::string whole = translate_anthropic({all}, true);
  for (std::size_t cut = 1; cut < all.size(); ++cut) {
    CAPTURE(cut);
    REQUIRE(translate_anthropic({all.substr(0, cut), all.substr(cut)}, true) == whole);
  }
  // Event by event, each event its own read.
  std::vector<std::string_view> events;
  for (std::size_t start = 0; start < all.size();) {
    const std::size_t end = all.find("\n\n", start) + 2;
    events.push_back(all.substr(start, end - start));
    start = end;
  }
  CHECK(events.size() == 16);
  CHECK(translate_anthropic(events, true) == whole);
}

TEST_CASE("anthropic: a mid-stream Anthropic error event is a failure the caller can fail over on") {
  struct Row {
    const char* data;
    bool retryable;
    const char* openai_type;
  };
  const Row rows[] = {
      {R"({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})", true, "service_unavailable_error"},
      {R"({"type": "error", "error": {"type": "api_error", "message": "Internal server error"}})", true, "server_error"},
      {R"({"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}})", false, "invalid_request_error"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.data);
    AnthropicToOpenAiStream t({.model = "gpt-4o", .created = 0, .include_usage = false});
    std::string out;
    const auto events = parse_sse(kAnthropicToolStream);
    REQUIRE(t.feed(events[0].name, events[0].data, out));
    REQUIRE(t.feed(events[3].name, events[3].data, out));  // "Checking" — the client already has text
    const std::size_t before = out.size();
    auto st = t.feed("error", row.data, out);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == sovgw::ErrorCode::kUpstreamStatus);
    CHECK(st.error().source == sovgw::ErrorSource::kUpstream);
    CHECK(st.error().retryable == row.retryable);
    CHECK(out.size() == before);  // nothing emitted: the caller chooses failover or an error frame
    CHECK(json::parse(t.error_object()).at("type") == row.openai_type);
    CHECK_FALSE(t.done());
    CHECK_FALSE(t.finish());
  }
  AnthropicToOpenAiStream t({.model = "gpt-4o", .created = 0, .include_usage = false});
  std::string out;
  CHECK_FALSE(t.feed("message_start", "{not json", out));
  CHECK(t.feed("ping", R"({"type":"ping"})", out));
  CHECK(t.feed("", R"({"type":"some_future_event","x":1})", out));  // unknown types are dropped
  CHECK(out.empty());
  CHECK_FALSE(t.finish());  // ended before message_stop: truncated
}

namespace {

// Shaped like OpenAI's recorded streams: role chunk, text, two parallel tool calls whose first
// delta carries id and name, argument fragments, finish chunk, usage chunk, [DONE].
const char* kOpenAiToolChunks[] = {
    R"({"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]})",
    R"({"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Checking"},"logprobs":null,"finish_reason":null}]})",
    R"({"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}]})",
    R"({"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"logprobs":null,"finish_reason":null}]})",
    R"({"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"logprobs":null,"finish_reason":null}]})",
    R"({"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},"logprobs":null,"finish_reason":null}]})",
    R"({"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]})",
    R"({"id":"chatcmpl-A1","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":79,"completion_tokens":40,"total_tokens":119}})",
    "[DONE]",
};

const char* kExpectedAnthropicEvents[][2] = {
    {"message_start", R"({"type":"message_start","message":{"id":"chatcmpl-A1","type":"message","role":"assistant","content":[],"model":"claude-x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}})"},
    {"content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"},
    {"content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking"}})"},
    {"content_block_stop", R"({"type":"content_block_stop","index":0})"},
    {"content_block_start", R"({"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_1","name":"get_weather","input":{}}})"},
    {"content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}})"},
    {"content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}})"},
    {"content_block_stop", R"({"type":"content_block_stop","index":1})"},
    {"content_block_start", R"({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_2","name":"get_weather","input":{}}})"},
    {"content_block_delta", R"({"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Oslo\"}"}})"},
    {"content_block_stop", R"({"type":"content_block_stop","index":2})"},
    {"message_delta", R"({"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":40,"input_tokens":79}})"},
    {"message_stop", R"({"type":"message_stop"})"},
};

}  // namespace

TEST_CASE("anthropic: a streamed OpenAI tool-call completion becomes Anthropic events for an Anthropic client") {
  OpenAiToAnthropicStream t({.model = "claude-x", .id = ""});
  std::string out;
  for (const char* chunk : kOpenAiToolChunks) {
    CAPTURE(chunk);
    REQUIRE(t.feed(chunk, out));
  }
  CHECK(t.done());
  CHECK(t.tool_call());
  CHECK(t.usage().prompt_tokens == 79u);
  CHECK(t.usage().completion_tokens == 40u);
  CHECK(t.finish(out));
  const auto events = parse_sse(out);
  REQUIRE(events.size() == std::size(kExpectedAnthropicEvents));
  for (std::size_t i = 0; i < events.size(); ++i) {
    CAPTURE(i);
    CHECK(events[i].name == kExpectedAnthropicEvents[i][0]);
    CHECK(json::parse(events[i].data) == json::parse(kExpectedAnthropicEvents[i][1]));
  }
}

TEST_CASE("anthropic: OpenAI stream ends without [DONE], with an in-band error, or truncated") {
  {  // vLLM-style: finish chunk, then the connection closes without [DONE]
    OpenAiToAnthropicStream t({.model = "claude-x", .id = "msg_given"});
    std::string out;
    REQUIRE(t.feed(kOpenAiToolChunks[1], out));
    REQUIRE(t.feed(R"({"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"length"}]})", out));
    CHECK_FALSE(t.done());
    REQUIRE(t.finish(out));
    const auto events = parse_sse(out);
    REQUIRE(events.size() == 6);
    CHECK(json::parse(events[0].data).at("message").at("id") == "msg_given");
    CHECK(json::parse(events[4].data).at("delta").at("stop_reason") == "max_tokens");
    CHECK(events[5].name == "message_stop");
  }
  {  // in-band error after text: a failure, and an Anthropic error event ready for the client
    OpenAiToAnthropicStream t({.model = "claude-x", .id = ""});
    std::string out;
    REQUIRE(t.feed(kOpenAiToolChunks[1], out));
    const std::size_t before = out.size();
    auto st = t.feed(R"({"error":{"message":"The server is overloaded","type":"service_unavailable_error","param":null,"code":"server_is_overloaded"}})", out);
    REQUIRE_FALSE(st);
    CHECK(st.error().retryable);
    CHECK(out.size() == before);
    const auto events = parse_sse(t.error_event());
    REQUIRE(events.size() == 1);
    CHECK(events[0].name == "error");
    CHECK(json::parse(events[0].data) ==
          json::parse(R"({"type":"error","error":{"type":"overloaded_error","message":"The server is overloaded"}})"));
  }
  {  // a refusal streams as text and ends as a refusal
    OpenAiToAnthropicStream t({.model = "claude-x", .id = ""});
    std::string out;
    REQUIRE(t.feed(R"({"id":"c","choices":[{"index":0,"delta":{"refusal":"I can't help with that."},"finish_reason":null}]})", out));
    REQUIRE(t.feed(R"({"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"content_filter"}]})", out));
    REQUIRE(t.feed("[DONE]", out));
    const auto events = parse_sse(out);
    REQUIRE(events.size() == 6);
    CHECK(json::parse(events[2].data).at("delta").at("text") == "I can't help with that.");
    CHECK(json::parse(events[4].data).at("delta").at("stop_reason") == "refusal");
  }
  {  // cut before any finish_reason
    OpenAiToAnthropicStream t({.model = "claude-x", .id = ""});
    std::string out;
    REQUIRE(t.feed(kOpenAiToolChunks[1], out));
    CHECK_FALSE(t.finish(out));
    CHECK_FALSE(t.feed("{oops", out));
  }
}

TEST_CASE("anthropic: streamed round trip Anthropic → OpenAI chunks → Anthropic keeps text, tools, stop and usage") {
  AnthropicToOpenAiStream to_openai({.model = "gpt-4o", .created = 0, .include_usage = true});
  OpenAiToAnthropicStream to_anthropic({.model = "claude-3-opus-latest", .id = ""});
  std::string openai_bytes;
  for (const auto& ev : parse_sse(kAnthropicToolStream)) REQUIRE(to_openai.feed(ev.name, ev.data, openai_bytes));
  std::string anthropic_bytes;
  for (const auto& ev : parse_sse(openai_bytes)) REQUIRE(to_anthropic.feed(ev.data, anthropic_bytes));
  REQUIRE(to_anthropic.done());
  // Compare the messages the Anthropic SDK would accumulate from both streams.
  auto accumulate = [](std::string_view bytes) {
    json::object message;
    json::array blocks;
    std::vector<std::string> inputs;
    for (const auto& ev : parse_sse(bytes)) {
      const auto data = json::parse(ev.data).as_object();
      if (ev.name == "message_start") message["id"] = data.at("message").at("id");
      if (ev.name == "content_block_start") {
        blocks.push_back(data.at("content_block"));
        inputs.emplace_back();
      }
      if (ev.name == "content_block_delta") {
        const auto& delta = data.at("delta").as_object();
        auto& block = blocks.at(data.at("index").to_number<std::size_t>()).as_object();
        if (delta.at("type") == "text_delta") {
          block["text"] = std::string(block["text"].as_string()) + std::string(delta.at("text").as_string());
        } else {
          inputs.at(data.at("index").to_number<std::size_t>()) += delta.at("partial_json").as_string();
        }
      }
      if (ev.name == "message_delta") {
        message["stop_reason"] = data.at("delta").at("stop_reason");
        message["output_tokens"] = data.at("usage").at("output_tokens");
      }
    }
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      if (!inputs[i].empty()) blocks[i].as_object()["input"] = json::parse(inputs[i]);
    }
    message["content"] = blocks;
    return message;
  };
  CHECK(accumulate(anthropic_bytes) == accumulate(kAnthropicToolStream));
  CHECK(to_anthropic.usage().prompt_tokens == 11u);
  CHECK(to_anthropic.usage().completion_tokens == 89u);
}
