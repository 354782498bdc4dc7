// Proves fake_upstream's Anthropic side and its tool and in-band-error actions, driving the fake
// directly as fake_upstream_test.cpp does: POST /v1/messages answers a Message or the named-event
// stream (message_start ... message_stop), errors come in Anthropic's shape, the broken-stream
// actions cut that stream as documented, error_after ends a stream with an in-band error (both
// protocols), and tool_call answers with a tool call in each protocol, streamed or not.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <string>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace sovgw::testing {
namespace {

namespace json = boost::json;

std::string chat_body(std::string_view model, bool stream = false) {
  json::object o{{"model", model}, {"messages", json::array{json::object{{"role", "user"}, {"content", "hi"}}}}};
  if (stream) o["stream"] = true;
  return json::serialize(o);
}

const HttpHeaders kAnthropicHeaders{{"x-api-key", "sk-ant-test"}, {"anthropic-version", "2023-06-01"}};

std::string messages_body(std::string_view model, bool stream = false) {
  json::object o{{"model", model},
                 {"max_tokens", 64},
                 {"system", "be brief"},
                 {"messages", json::array{json::object{{"role", "user"}, {"content", "hi there"}}}}};
  if (stream) o["stream"] = true;
  return json::serialize(o);
}

// Each event's `data` parsed; checks that its `type` matches the SSE event name.
std::vector<json::value> anthropic_events(const SseStreamResult& s) {
  std::vector<json::value> out;
  for (std::size_t i = 0; i < s.events.size(); ++i) {
    out.push_back(json::parse(s.events[i]));
    CHECK(out.back().at("type").as_string() == s.event_names[i]);
  }
  return out;
}

// The text_delta texts (or input_json_delta pieces) of an Anthropic stream, concatenated.
std::string anthropic_text(const std::vector<json::value>& events, std::string_view field = "text") {
  std::string text;
  for (const auto& e : events) {
    if (e.at("type") != "content_block_delta") continue;
    if (const auto* t = e.at("delta").as_object().if_contains(field)) text += t->as_string();
  }
  return text;
}

TEST_CASE("fake_upstream: Anthropic Messages, as a Message and as its event stream") {
  TempDir dir;
  FakeUpstream fake(dir, "mu");
  INFO(fake.log());
  HttpClient http;
  const std::string url = fake.base_url() + "/messages";

  HttpResponse r = http.post_json(url, messages_body("claude-test"), kAnthropicHeaders);
  REQUIRE(r.status == 200);
  CHECK(r.header("request-id") == "req_fake_1");
  json::value m = json::parse(r.body);
  CHECK(m.at("id") == "msg_fake1");
  CHECK(m.at("type") == "message");
  CHECK(m.at("role") == "assistant");
  CHECK(m.at("model") == "claude-test");
  CHECK(m.at("content") == json::parse(R"([{"type":"text","text":"Hello from mu: hi there"}])"));
  CHECK(m.at("stop_reason") == "end_turn");
  CHECK(m.at("stop_sequence").is_null());
  CHECK(m.at("usage").at("input_tokens") == 4);  // "be brief" + "hi there"
  CHECK(m.at("usage").at("output_tokens") == 5);
  auto reqs = fake.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].target == "/v1/messages");
  CHECK(reqs[0].header("x-api-key") == "sk-ant-test");
  CHECK(reqs[0].header("anthropic-version") == "2023-06-01");

  SseStreamResult s = http.stream(url, messages_body("claude-test", true), kAnthropicHeaders);
  INFO(s.body);
  CHECK(s.ended_cleanly);
  const auto events = anthropic_events(s);
  REQUIRE(s.event_names.size() == 11);  // 5 words, one text_delta each
  CHECK(s.event_names[0] == "message_start");
  CHECK(events[0].at("message").at("usage").at("output_tokens") == 1);
  CHECK(events[0].at("message").at("content").as_array().empty());
  CHECK(s.event_names[1] == "content_block_start");
  CHECK(s.event_names[2] == "ping");
  CHECK(events[3].at("delta").at("type") == "text_delta");
  CHECK(anthropic_text(events) == "Hello from mu: hi there");
  CHECK(s.event_names[8] == "content_block_stop");
  CHECK(s.event_names[9] == "message_delta");
  CHECK(events[9].at("delta").at("stop_reason") == "end_turn");
  CHECK(events[9].at("usage").at("output_tokens") == 5);
  CHECK(s.body.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
}

TEST_CASE("fake_upstream: Anthropic-shaped errors and broken Anthropic streams") {
  TempDir dir;
  FakeUpstream fake(dir, "nu");
  INFO(fake.log());
  HttpClient http;
  const std::string url = fake.base_url() + "/messages";
  auto error_type = [](const std::string& body) {
    json::value v = json::parse(body);
    CHECK(v.at("type") == "error");
    return std::string(v.at("error").at("type").as_string());
  };

  CHECK(error_type(http.post_json(url, messages_body("fake:status?status=404")).body) == "not_found_error");
  HttpResponse overloaded = http.post_json(url, messages_body("fake:status?status=529"));
  CHECK(overloaded.status == 529);
  CHECK(error_type(overloaded.body) == "overloaded_error");
  CHECK(error_type(http.post_json(url, messages_body("fake:status?status=401")).body) == "authentication_error");
  HttpResponse bad = http.post_json(url, "{not json");
  CHECK(bad.status == 400);
  CHECK(error_type(bad.body) == "invalid_request_error");
  CHECK(error_type(http.post_json(url, messages_body("fake:nope")).body) == "invalid_request_error");

  SseStreamResult closed = http.stream(url, messages_body("fake:close_after?chunks=2", true));
  CHECK(closed.error == "partial");
  CHECK(closed.event_names.back() == "content_block_delta");
  CHECK(anthropic_text(anthropic_events(closed)) == "Hello from");

  SseStreamResult no_done = http.stream(url, messages_body("fake:no_done", true));
  CHECK(no_done.ended_cleanly);
  CHECK(no_done.event_names.back() == "message_delta");

  SseStreamResult errored = http.stream(url, messages_body("fake:error_after?chunks=1", true));
  CHECK(errored.ended_cleanly);
  CHECK(errored.event_names.back() == "error");
  CHECK(json::parse(errored.events.back()) ==
        json::parse(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"));
  CHECK(anthropic_text(anthropic_events(errored)) == "Hello");
  SseStreamResult typed = http.stream(url, messages_body("fake:error_after?chunks=0&type=api_error", true));
  CHECK(json::parse(typed.events.back()).at("error").at("type") == "api_error");

  SseStreamResult malformed = http.stream(url, messages_body("fake:malformed?chunks=1", true));
  CHECK(std::count(malformed.events.begin(), malformed.events.end(), "{not json") == 1);
  CHECK(malformed.event_names.back() == "message_stop");
}

TEST_CASE("fake_upstream: error_after ends an OpenAI chat stream with an in-band error") {
  TempDir dir;
  FakeUpstream fake(dir, "xi");
  INFO(fake.log());
  HttpClient http;
  SseStreamResult s = http.stream(fake.base_url() + "/chat/completions",
                                  chat_body("fake:error_after?chunks=2&type=server_error", true));
  CHECK(s.ended_cleanly);
  REQUIRE(s.events.size() == 4);  // role, 2 content chunks, the error; no finish chunk, no [DONE]
  CHECK(json::parse(s.events[2]).at("choices").at(0).at("delta").at("content") == " from");
  json::value error = json::parse(s.events.back());
  CHECK(error.at("error").at("type") == "server_error");
  CHECK(error.at("error").at("message").is_string());
}

TEST_CASE("fake_upstream: tool_call, in both protocols, streamed or not") {
  TempDir dir;
  FakeUpstream fake(dir, "omicron");
  INFO(fake.log());
  HttpClient http;
  const std::string chat = fake.base_url() + "/chat/completions";
  const std::string messages = fake.base_url() + "/messages";
  const json::value seoul = json::parse(R"({"city":"Seoul"})");

  SUBCASE("OpenAI, non-stream: one function call, finish_reason tool_calls") {
    json::value v = json::parse(http.post_json(chat, chat_body("fake:tool_call")).body);
    const auto& choice = v.at("choices").at(0);
    CHECK(choice.at("finish_reason") == "tool_calls");
    CHECK(choice.at("message").at("content").is_null());
    const auto& call = choice.at("message").at("tool_calls").at(0);
    CHECK(call.at("id") == "call_fake1");
    CHECK(call.at("type") == "function");
    CHECK(call.at("function").at("name") == "get_weather");
    CHECK(json::parse(call.at("function").at("arguments").as_string()) == seoul);
  }
  SUBCASE("OpenAI, stream: the arguments arrive in pieces after the call's id and name") {
    const std::string model = "fake:tool_call?name=lookup&arguments=%7B%22q%22%3A%22%EC%84%9C%EC%9A%B8%22%7D";
    SseStreamResult s = http.stream(chat, chat_body(model, true));
    REQUIRE(s.events.size() >= 6);  // role, call head, 2-3 argument pieces, finish, [DONE]
    CHECK(s.events.back() == "[DONE]");
    const auto head = json::parse(s.events[1]).at("choices").at(0).at("delta").at("tool_calls").at(0);
    CHECK(head.at("id") == "call_fake1");
    CHECK(head.at("function").at("name") == "lookup");
    CHECK(head.at("function").at("arguments") == "");
    std::string arguments;
    for (std::size_t i = 2; i + 2 < s.events.size(); ++i) {
      const auto call = json::parse(s.events[i]).at("choices").at(0).at("delta").at("tool_calls").at(0);
      arguments += call.at("function").at("arguments").as_string();
    }
    CHECK(arguments == "{\"q\":\"서울\"}");
    CHECK(json::parse(s.events[s.events.size() - 2]).at("choices").at(0).at("finish_reason") == "tool_calls");
  }
  SUBCASE("Anthropic, non-stream: a text block, then tool_use with the input object") {
    json::value m = json::parse(http.post_json(messages, messages_body("fake:tool_call")).body);
    CHECK(m.at("stop_reason") == "tool_use");
    CHECK(m.at("content").at(0) == json::parse(R"({"type":"text","text":"Let me check."})"));
    const auto& use = m.at("content").at(1);
    CHECK(use.at("type") == "tool_use");
    CHECK(use.at("id") == "toolu_fake1");
    CHECK(use.at("name") == "get_weather");
    CHECK(use.at("input") == seoul);
  }
  SUBCASE("Anthropic, stream: text block 0, tool_use block 1 with input_json_delta pieces") {
    SseStreamResult s = http.stream(messages, messages_body("fake:tool_call", true));
    const auto events = anthropic_events(s);
    CHECK(anthropic_text(events) == "Let me check.");
    CHECK(json::parse(anthropic_text(events, "partial_json")) == seoul);
    const auto tool_start = std::find(s.event_names.begin() + 3, s.event_names.end(), "content_block_start");
    REQUIRE(tool_start != s.event_names.end());
    const auto& block = events[tool_start - s.event_names.begin()];
    CHECK(block.at("index") == 1);
    CHECK(block.at("content_block").at("type") == "tool_use");
    CHECK(block.at("content_block").at("input") == json::object{});
    CHECK(events[events.size() - 2].at("delta").at("stop_reason") == "tool_use");
    CHECK(s.event_names.back() == "message_stop");
  }
  SUBCASE("a conversation ending with the tool's result gets a normal answer that echoes it") {
    const std::string openai_turn = R"({"model":"fake:tool_call","messages":[{"role":"user","content":"weather?"},
      {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"call_1","content":"Sunny"}]})";
    json::value v = json::parse(http.post_json(chat, openai_turn).body);
    CHECK(v.at("choices").at(0).at("message").at("content") == "Hello from omicron: Sunny");
    CHECK(v.at("choices").at(0).at("finish_reason") == "stop");
    const std::string anthropic_turn = R"({"model":"fake:tool_call","max_tokens":9,"messages":[{"role":"user","content":"weather?"},
      {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"Sunny"}]}]}]})";
    json::value m = json::parse(http.post_json(messages, anthropic_turn).body);
    CHECK(m.at("content").at(0).at("text") == "Hello from omicron: Sunny");
    CHECK(m.at("stop_reason") == "end_turn");
  }
  SUBCASE("arguments must be a JSON object") {
    HttpResponse r = http.post_json(chat, chat_body("fake:tool_call?arguments=nope"));
    CHECK(r.status == 400);
    CHECK(r.body.find("arguments") != std::string::npos);
  }
}

}  // namespace
}  // namespace sovgw::testing
