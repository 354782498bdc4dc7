// Streams across protocols through the real sovgw: an OpenAI client's chunks translated from an
// Anthropic-protocol fake's events (usage chunk when asked, tool call deltas, [DONE]); an Anthropic
// client's event sequence translated from an OpenAI-protocol fake's chunks; an Anthropic `error`
// event before content failing over for free; and mid-stream recovery from an Anthropic foreign
// fake that breaks after content to an OpenAI local fake that continues the same stream, for both
// client protocols. (Non-stream: protocol_test.cpp.)
#include <doctest/doctest.h>

#include <vector>

#include "tests/integration/protocol_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace protocol;

const std::string kContent = "The quick brown fox jumps over the lazy dog";

// Model "chat" → the Anthropic fake "claude", then the OpenAI fake "local" (continuation prefill).
std::string claude_then_local(const FakeUpstream& claude, const FakeUpstream& local) {
  ConfigText cfg;
  cfg.anthropic_backend("claude", claude.url(""), "health_check = false")
      .backend("local", local.base_url(), "health_check = false\ncontinuation = \"prefill\"")
      .model("chat", {{"claude", "claude-test"}, {"local", "local-model"}});
  return cfg.str();
}

std::string stream_chat(bool include_usage = false) {
  std::string body = chat_body("chat", "hi there", true);
  if (include_usage) body = body.substr(0, body.size() - 1) + R"(,"stream_options":{"include_usage":true}})";
  return body;
}

// The chunk objects of an OpenAI stream ([DONE] left out).
std::vector<gwjson::object> chunks(const SseStreamResult& s) {
  std::vector<gwjson::object> out;
  for (const auto& data : s.events) {
    if (data != "[DONE]") out.push_back(parse_json(data).as_object());
  }
  return out;
}

}  // namespace

TEST_CASE("protocol stream: an OpenAI client's stream from an Anthropic backend") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  FakeUpstream local(dir, "local");
  GatewayProcess gw(dir, claude_then_local(claude, local));
  claude.script(R"([{"action":"stream","chunks":4,"content":")" + kContent + R"("}])");
  const auto s = HttpClient().stream(gw.url("/v1/chat/completions"), stream_chat(true));
  REQUIRE(s.status == 200);
  CHECK(s.header("x-sovgw-backend") == "claude");
  CHECK(s.header("content-type").starts_with("text/event-stream"));
  CHECK(stream_text(s) == kContent);
  CHECK(has_done(s));
  const auto all = chunks(s);
  REQUIRE(all.size() >= 3);
  CHECK(all.front().at("choices").as_array()[0].at("delta").at("role") == "assistant");
  const auto& finish = all[all.size() - 2];
  CHECK(finish.at("choices").as_array()[0].at("finish_reason") == "stop");
  const auto& usage = all.back();
  CHECK(usage.at("choices").as_array().empty());
  CHECK(usage.at("usage").at("completion_tokens").as_int64() > 0);
  for (const auto& c : all) CHECK(c.at("id") == all.front().at("id"));
  CHECK(requests_to(local, "/v1/chat/completions").empty());

  SUBCASE("no usage chunk unless asked") {
    claude.script(R"([{"action":"stream","chunks":4}])");
    const auto plain = HttpClient().stream(gw.url("/v1/chat/completions"), stream_chat(false));
    REQUIRE(plain.status == 200);
    for (const auto& c : chunks(plain)) CHECK_FALSE(c.contains("usage"));
  }
}

TEST_CASE("protocol stream: a tool call streamed from an Anthropic backend arrives as tool_calls deltas") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  FakeUpstream local(dir, "local");
  GatewayProcess gw(dir, claude_then_local(claude, local));
  claude.script(R"([{"action":"tool_call","name":"get_weather","arguments":"{\"city\":\"Seoul\"}"}])");
  const auto s = HttpClient().stream(gw.url("/v1/chat/completions"), stream_chat());
  REQUIRE(s.status == 200);
  std::string name, arguments, finish;
  for (const auto& c : chunks(s)) {
    const auto& choice = c.at("choices").as_array()[0].as_object();
    if (choice.at("finish_reason").is_string()) finish = choice.at("finish_reason").as_string();
    const auto* calls = choice.at("delta").as_object().if_contains("tool_calls");
    if (!calls) continue;
    const auto& fn = calls->as_array()[0].at("function").as_object();
    if (const auto* n = fn.if_contains("name")) name += n->as_string();
    if (const auto* a = fn.if_contains("arguments")) arguments += a->as_string();
  }
  CHECK(name == "get_weather");
  CHECK(parse_json(arguments).at("city") == "Seoul");
  CHECK(finish == "tool_calls");
  CHECK(has_done(s));
}

TEST_CASE("protocol stream: an Anthropic client's stream from an OpenAI backend") {
  TempDir dir;
  FakeUpstream local(dir, "local");
  GatewayProcess gw(dir, one_backend(local).str());
  local.script(R"([{"action":"stream","chunks":4,"content":")" + kContent + R"("}])");
  const auto s = HttpClient().stream(gw.url("/v1/messages"), messages_body("chat", "hi there", true), anthropic_headers());
  REQUIRE(s.status == 200);
  CHECK(s.header("x-sovgw-backend") == "local");
  CHECK(anthropic_stream_text(s) == kContent);
  const auto names = anthropic_events(s);
  REQUIRE(names.size() >= 6);
  CHECK(names.front() == "message_start");
  CHECK(names[1] == "content_block_start");
  CHECK(names[names.size() - 3] == "content_block_stop");
  CHECK(names[names.size() - 2] == "message_delta");
  CHECK(names.back() == "message_stop");
  const auto delta = parse_json(s.events[s.events.size() - 2]).as_object();
  CHECK(delta.at("delta").at("stop_reason") == "end_turn");
  CHECK(delta.at("usage").at("output_tokens").as_int64() > 0);
  // The OpenAI backend was asked for the usage an Anthropic client always gets.
  const auto sent = requests_to(local, "/v1/chat/completions");
  REQUIRE(sent.size() == 1);
  CHECK(parse_json(sent[0].body).at("stream_options").at("include_usage") == true);
}

TEST_CASE("protocol stream: an Anthropic error event before content fails over for free") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  FakeUpstream local(dir, "local");
  GatewayProcess gw(dir, claude_then_local(claude, local));
  claude.script("[]", R"({"action":"error_after","chunks":0,"type":"overloaded_error"})");
  const auto s = HttpClient().stream(gw.url("/v1/chat/completions"), stream_chat());
  REQUIRE(s.status == 200);
  CHECK(s.header("x-sovgw-backend") == "local");
  CHECK(s.header("x-sovgw-attempts") == "3");  // overloaded: one quick retry at claude, then local
  CHECK(stream_text(s) == "Hello from local: hi there");
  CHECK(has_done(s));
}

TEST_CASE("protocol stream: a stream that breaks at an Anthropic backend is continued by an OpenAI one") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  FakeUpstream local(dir, "local");
  GatewayProcess gw(dir, claude_then_local(claude, local));
  const std::string continuation = " brown fox jumps over the lazy dog";
  for (const std::string action : {"close_after", "error_after"}) {
    for (const bool anthropic_client : {false, true}) {
      CAPTURE(action);
      CAPTURE(anthropic_client);
      claude.clear();
      local.clear();
      claude.script(R"([{"action":")" + action + R"(","chunks":2,"content":")" + kContent + R"("}])");
      local.script(R"([{"action":"stream","chunks":3,"content":")" + continuation + R"("}])");
      const auto s = anthropic_client ? HttpClient().stream(gw.url("/v1/messages"), messages_body("chat", "hi there", true),
                                                            anthropic_headers())
                                      : HttpClient().stream(gw.url("/v1/chat/completions"), stream_chat());
      REQUIRE(s.status == 200);
      CHECK(s.header("x-sovgw-backend") == "claude");  // the head went out before the break
      if (anthropic_client) {
        CHECK(anthropic_stream_text(s) == kContent);
        CHECK(anthropic_events(s).back() == "message_stop");
      } else {
        CHECK(stream_text(s) == kContent);
        CHECK(has_done(s));
      }
      // The local backend was asked to continue the delivered text.
      const auto sent = requests_to(local, "/v1/chat/completions");
      REQUIRE(sent.size() == 1);
      const auto request = parse_json(sent[0].body);
      const auto& messages = request.at("messages").as_array();
      CHECK(messages.back().at("role") == "assistant");
      CHECK(messages.back().at("content") == "The quick");
    }
  }
}

TEST_CASE("protocol stream: a break no target can finish ends an Anthropic client's stream with an error event") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  ConfigText cfg;
  cfg.anthropic_backend("claude", claude.url(""), "health_check = false").model("chat", {{"claude", "claude-test"}});
  GatewayProcess gw(dir, cfg.str());
  claude.script(R"([{"action":"close_after","chunks":2,"content":")" + kContent + R"("}])");
  const auto s = HttpClient().stream(gw.url("/v1/messages"), messages_body("chat", "hi there", true), anthropic_headers());
  REQUIRE(s.status == 200);
  CHECK(anthropic_stream_text(s) == "The quick");
  const auto names = anthropic_events(s);
  REQUIRE_FALSE(names.empty());
  CHECK(names.back() == "error");
  CHECK(std::find(names.begin(), names.end(), "message_stop") == names.end());
  const auto error = parse_json(s.events.back()).as_object();
  CHECK(error.at("type") == "error");
  CHECK(std::string(error.at("error").at("message").as_string()).find("incomplete") != std::string::npos);
}

}  // namespace sovgw::testing

namespace sovgw::testing {
namespace {

// An Anthropic stream with a thinking block before the text, as Claude sends it with extended
// thinking on (served whole by the fake's `status` action).
std::string thinking_stream() {
  const std::vector<std::pair<std::string, std::string>> events = {
      {"message_start", R"({"type":"message_start","message":{"id":"msg_think1","type":"message","role":"assistant","model":"claude-test","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":1}}})"},
      {"content_block_start", R"({"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})"},
      {"content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think."}})"},
      {"content_block_delta", R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"c2lnbmF0dXJl"}})"},
      {"content_block_stop", R"({"type":"content_block_stop","index":0})"},
      {"ping", R"({"type":"ping"})"},
      {"content_block_start", R"({"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}})"},
      {"content_block_delta", R"({"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Forty-two."}})"},
      {"content_block_stop", R"({"type":"content_block_stop","index":1})"},
      {"message_delta", R"({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}})"},
      {"message_stop", R"({"type":"message_stop"})"},
  };
  std::string body;
  for (const auto& [name, data] : events) body += "event: " + name + "\ndata: " + data + "\n\n";
  return body;
}

std::string canned(const std::string& sse) {
  return R"({"action":"status","status":200,"content_type":"text/event-stream","body":)" +
         gwjson::serialize(gwjson::value(sse)) + "}";
}

}  // namespace

TEST_CASE("protocol stream: Anthropic to Anthropic passes the backend's events through, thinking included") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  FakeUpstream local(dir, "local");
  GatewayProcess gw(dir, claude_then_local(claude, local));
  const std::string sse = thinking_stream();

  claude.script("[" + canned(sse) + "]");
  const auto s = HttpClient().stream(gw.url("/v1/messages"), messages_body("chat", "meaning?", true), anthropic_headers());
  REQUIRE(s.status == 200);
  CHECK(s.header("x-sovgw-backend") == "claude");
  CHECK(s.body == sse);  // byte for byte
  CHECK(requests_to(local, "/v1/chat/completions").empty());

  SUBCASE("an OpenAI client sees only the text") {
    claude.script("[" + canned(sse) + "]");
    const auto o = HttpClient().stream(gw.url("/v1/chat/completions"), stream_chat());
    REQUIRE(o.status == 200);
    CHECK(stream_text(o) == "Forty-two.");
    CHECK(o.body.find("Let me think") == std::string::npos);
    CHECK(has_done(o));
  }
}
}  // namespace sovgw::testing
