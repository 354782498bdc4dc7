// OpenAI Chat Completions ↔ Anthropic Messages translation of whole bodies: requests, responses,
// errors and stop reasons, from real-format payloads of both APIs, including round trips.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "backends/anthropic_translate.hpp"

namespace json = boost::json;
using namespace sovgw::backends;

namespace {

json::value parse(std::string_view s) { return json::parse(s); }

// An OpenAI request with everything the translation covers: system and developer prompts, a
// multi-part user turn with both image forms, parallel tool calls and their results, tools,
// tool_choice, sampling and stop.
constexpr const char* kOpenAiToolRequest = R"({
  "model": "gpt-4o",
  "messages": [
    {"role": "system", "content": "You are a bank assistant."},
    {"role": "user", "content": [
      {"type": "text", "text": "What is on these, and the weather in Paris and Oslo?"},
      {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
      {"type": "image_url", "image_url": {"url": "https://example.com/cheque.jpg"}}]},
    {"role": "assistant", "content": null, "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
      {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "18C sunny"},
    {"role": "tool", "tool_call_id": "call_2", "content": "4C rain"},
    {"role": "assistant", "content": "Paris is sunny, Oslo rainy."},
    {"role": "user", "content": "Thanks"}
  ],
  "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Current weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
  "tool_choice": "required",
  "max_tokens": 300,
  "temperature": 0.2,
  "top_p": 0.9,
  "stop": ["END"],
  "stream": false
})";

constexpr const char* kAnthropicToolRequest = R"({
  "model": "claude-sonnet-4-5",
  "system": "You are a bank assistant.",
  "messages": [
    {"role": "user", "content": [
      {"type": "text", "text": "What is on these, and the weather in Paris and Oslo?"},
      {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
      {"type": "image", "source": {"type": "url", "url": "https://example.com/cheque.jpg"}}]},
    {"role": "assistant", "content": [
      {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
      {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"city": "Oslo"}}]},
    {"role": "user", "content": [
      {"type": "tool_result", "tool_use_id": "call_1", "content": "18C sunny"},
      {"type": "tool_result", "tool_use_id": "call_2", "content": "4C rain"}]},
    {"role": "assistant", "content": "Paris is sunny, Oslo rainy."},
    {"role": "user", "content": "Thanks"}
  ],
  "max_tokens": 300,
  "temperature": 0.2,
  "top_p": 0.9,
  "stop_sequences": ["END"],
  "stream": false,
  "tools": [{"name": "get_weather", "description": "Current weather",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}],
  "tool_choice": {"type": "any"}
})";

}  // namespace

TEST_CASE("anthropic: an OpenAI request with tools, images and tool results becomes Anthropic's shape") {
  auto out = openai_request_to_anthropic(kOpenAiToolRequest, {.model = "claude-sonnet-4-5", .default_max_tokens = 4096});
  REQUIRE(out);
  CHECK(parse(*out) == parse(kAnthropicToolRequest));
}

TEST_CASE("anthropic: an Anthropic request with tools, images and tool results becomes OpenAI's shape") {
  auto out = anthropic_request_to_openai(kAnthropicToolRequest, "gpt-4o");
  REQUIRE(out);
  // The documented normalisations of this request: temperature/stop/max_tokens kept; stream false.
  CHECK(parse(*out) == parse(kOpenAiToolRequest));
}

TEST_CASE("anthropic: request round trips OpenAI → Anthropic → OpenAI modulo the documented normalisations") {
  struct Row {
    const char* name;
    const char* original;
    const char* expected;  // after the round trip; nullptr → equal to the original
  };
  const Row rows[] = {
      {"tools and parallel calls", kOpenAiToolRequest, nullptr},
      {"plain chat",
       R"({"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},
           {"role":"assistant","content":"Hello"},{"role":"user","content":"Bye"}],"max_tokens":10})",
       nullptr},
      {"developer and mid-conversation system messages are hoisted into one",
       R"({"model":"m","messages":[{"role":"developer","content":"A"},{"role":"user","content":"Hi"},
           {"role":"system","content":"B"}],"max_tokens":10})",
       R"({"model":"m","messages":[{"role":"system","content":[{"type":"text","text":"A"},{"type":"text","text":"B"}]},
           {"role":"user","content":"Hi"}],"max_tokens":10})"},
      {"consecutive user messages are merged; max_completion_tokens becomes max_tokens",
       R"({"model":"m","messages":[{"role":"user","content":"one"},{"role":"user","content":"two"}],
           "max_completion_tokens":5})",
       R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]}],
           "max_tokens":5})"},
      {"missing max_tokens gets the default, string stop becomes an array, temperature is clamped",
       R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"stop":"X","temperature":1.5})",
       R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"stop":["X"],"temperature":1.0,"max_tokens":4096})"},
      {"a text reply before tool calls, a specific tool_choice and parallel_tool_calls false",
       R"({"model":"m","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Checking.",
           "tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{}"}}]},
           {"role":"tool","tool_call_id":"t1","content":"ok"},{"role":"user","content":"and?"}],
           "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}],
           "tool_choice":{"type":"function","function":{"name":"f"}},"parallel_tool_calls":false,"max_tokens":9})",
       nullptr},
      {"tool_choice none and auto, a user id and streaming (which asks for usage)",
       R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":
           {"name":"f","description":"d","parameters":{"type":"object"}}}],"tool_choice":"none","user":"u1",
           "stream":true,"max_tokens":9})",
       R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":
           {"name":"f","description":"d","parameters":{"type":"object"}}}],"tool_choice":"none","user":"u1",
           "stream":true,"stream_options":{"include_usage":true},"max_tokens":9})"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto anthropic = openai_request_to_anthropic(row.original, {.model = "claude", .default_max_tokens = 4096});
    REQUIRE(anthropic);
    auto back = anthropic_request_to_openai(*anthropic, parse(row.original).at("model").as_string());
    REQUIRE(back);
    CHECK(parse(*back) == parse(row.expected ? row.expected : row.original));
  }
}

TEST_CASE("anthropic: tool_choice and parallel_tool_calls map to Anthropic's tool_choice") {
  struct Row {
    const char* openai;
    const char* anthropic;
  };
  const Row rows[] = {
      {R"("tool_choice":"auto")", R"({"type":"auto"})"},
      {R"("tool_choice":"none")", R"({"type":"none"})"},
      {R"("tool_choice":"required")", R"({"type":"any"})"},
      {R"("tool_choice":{"type":"function","function":{"name":"f"}})", R"({"type":"tool","name":"f"})"},
      {R"("parallel_tool_calls":false)", R"({"type":"auto","disable_parallel_tool_use":true})"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.openai);
    const std::string body = std::string(R"({"messages":[{"role":"user","content":"x"}],)") + row.openai + "}";
    auto out = openai_request_to_anthropic(body, {.model = "c", .default_max_tokens = 4096});
    REQUIRE(out);
    CHECK(parse(*out).at("tool_choice") == parse(row.anthropic));
  }
}

TEST_CASE("anthropic: requests that cannot be expressed are invalid requests, not silent losses") {
  const char* openai_rows[] = {
      "not json",
      R"({"messages":[{"role":"user","content":"x"}],"n":2})",
      R"({"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]})",
      R"({"messages":[{"role":"function","name":"f","content":"x"}]})",
      R"({"messages":[{"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"[1]"}}]}]})",
      R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,raw"}}]}]})",
  };
  for (const char* body : openai_rows) {
    CAPTURE(body);
    auto out = openai_request_to_anthropic(body, {.model = "c", .default_max_tokens = 4096});
    REQUIRE_FALSE(out);
    CHECK(out.error().code == sovgw::ErrorCode::kInvalidRequest);
    CHECK_FALSE(out.error().retryable);
  }
  const char* anthropic_rows[] = {
      R"({"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"AA=="}}]}]})",
      R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]})",
      R"({"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{"type":"url","url":"u"}}]}]}]})",
  };
  for (const char* body : anthropic_rows) {
    CAPTURE(body);
    auto out = anthropic_request_to_openai(body, "m");
    REQUIRE_FALSE(out);
    CHECK(out.error().code == sovgw::ErrorCode::kInvalidRequest);
  }
}

TEST_CASE("anthropic: a Message with text and parallel tool_use becomes a chat.completion, and back") {
  constexpr const char* kMessage = R"({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant",
    "model":"claude-sonnet-4-5","content":[{"type":"text","text":"Checking both."},
    {"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{"city":"Paris"}},
    {"type":"tool_use","id":"toolu_01B","name":"get_weather","input":{"city":"Oslo"}}],
    "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":91}})";
  constexpr const char* kCompletion = R"({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","object":"chat.completion",
    "created":1727346171,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant",
    "content":"Checking both.","tool_calls":[
    {"id":"toolu_01A","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
    {"id":"toolu_01B","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},
    "logprobs":null,"finish_reason":"tool_calls"}],
    "usage":{"prompt_tokens":472,"completion_tokens":91,"total_tokens":563}})";
  auto openai = anthropic_response_to_openai(kMessage, "gpt-4o", 1727346171);
  REQUIRE(openai);
  CHECK(parse(*openai) == parse(kCompletion));
  auto back = openai_response_to_anthropic(*openai, "claude-sonnet-4-5");
  REQUIRE(back);
  CHECK(parse(*back) == parse(kMessage));
}

TEST_CASE("anthropic: a real OpenAI completion becomes a Message; stop reasons map both ways") {
  constexpr const char* kCompletion = R"({"id":"chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh","object":"chat.completion",
    "created":1727346171,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_7568d46099","choices":[{"index":0,
    "message":{"role":"assistant","content":"Hello there!","refusal":null},"logprobs":null,"finish_reason":"length"}],
    "usage":{"prompt_tokens":79,"completion_tokens":3,"total_tokens":82,"completion_tokens_details":{"reasoning_tokens":0}}})";
  auto message = openai_response_to_anthropic(kCompletion, "claude-x");
  REQUIRE(message);
  CHECK(parse(*message) == parse(R"({"id":"chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh","type":"message","role":"assistant",
    "model":"claude-x","content":[{"type":"text","text":"Hello there!"}],"stop_reason":"max_tokens",
    "stop_sequence":null,"usage":{"input_tokens":79,"output_tokens":3}})"));

  struct Row {
    const char* anthropic;
    const char* openai;
    const char* back;
  };
  const Row rows[] = {
      {"end_turn", "stop", "end_turn"},          {"max_tokens", "length", "max_tokens"},
      {"tool_use", "tool_calls", "tool_use"},    {"stop_sequence", "stop", "end_turn"},
      {"refusal", "content_filter", "refusal"}, {"pause_turn", "stop", "end_turn"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.anthropic);
    CHECK(openai_finish_reason(row.anthropic) == row.openai);
    CHECK(anthropic_stop_reason(row.openai) == row.back);
  }
  // Cached prompt tokens count as prompt tokens on the OpenAI side.
  auto cached = anthropic_response_to_openai(R"({"id":"m","content":[],"stop_reason":"end_turn","usage":
    {"input_tokens":10,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":2}})", "g", 1);
  REQUIRE(cached);
  CHECK(parse(*cached).at("usage") == parse(R"({"prompt_tokens":115,"completion_tokens":2,"total_tokens":117})"));
  CHECK_FALSE(anthropic_response_to_openai("<html>", "g", 1));
  CHECK_FALSE(openai_response_to_anthropic(R"({"choices":[]})", "c"));
}

TEST_CASE("anthropic: error bodies keep their meaning and status on the other side") {
  struct Row {
    unsigned status;
    const char* anthropic_body;
    unsigned openai_status;
    const char* openai_body;
  };
  const Row rows[] = {
      {529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"})", 503,
       R"({"error":{"message":"Overloaded","type":"service_unavailable_error","param":null,"code":"server_is_overloaded"}})"},
      {429, R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}})",
       429, R"({"error":{"message":"Number of request tokens has exceeded your per-minute rate limit","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}})"},
      {401, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})", 401,
       R"({"error":{"message":"invalid x-api-key","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})"},
      {403, R"({"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}})",
       403, R"({"error":{"message":"Your API key does not have permission to use the specified resource.","type":"permission_error","param":null,"code":null}})"},
      {400, R"({"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}})", 400,
       R"({"error":{"message":"max_tokens: Field required","type":"invalid_request_error","param":null,"code":null}})"},
      {500, R"({"type":"error","error":{"type":"api_error","message":"Internal server error"}})", 500,
       R"({"error":{"message":"Internal server error","type":"server_error","param":null,"code":null}})"},
      {413, "<html><body>413 Request Entity Too Large</body></html>", 413,
       R"J({"error":{"message":"upstream error (HTTP 413)","type":"invalid_request_error","param":null,"code":"request_too_large"}})J"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.anthropic_body);
    const auto e = anthropic_error_to_openai(row.status, row.anthropic_body);
    CHECK(e.status == row.openai_status);
    CHECK(parse(e.body) == parse(row.openai_body));
  }

  struct Back {
    unsigned status;
    const char* openai_body;
    const char* anthropic_type;
  };
  const Back back[] = {
      {429, R"({"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}})", "rate_limit_error"},
      {429, R"({"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})", "billing_error"},
      {403, R"({"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}})", "permission_error"},
      {503, R"({"error":{"message":"The server is overloaded","type":"service_unavailable_error","param":null,"code":"server_is_overloaded"}})", "overloaded_error"},
      {502, R"({"error":{"message":"Bad gateway.","type":"cf_bad_gateway","param":null,"code":502}})", "api_error"},
      {404, "not json", "not_found_error"},
  };
  for (const auto& row : back) {
    CAPTURE(row.openai_body);
    const auto e = openai_error_to_anthropic(row.status, row.openai_body);
    CHECK(e.status == row.status);
    const auto body = parse(e.body);
    CHECK(body.at("type") == "error");
    CHECK(body.at("error").at("type") == row.anthropic_type);
    CHECK(body.at("error").at("message").as_string().size() > 0);
  }
  CHECK(anthropic_error_retryable("overloaded_error"));
  CHECK(anthropic_error_retryable("rate_limit_error"));
  CHECK_FALSE(anthropic_error_retryable("permission_error"));
  CHECK_FALSE(anthropic_error_retryable("invalid_request_error"));
}
