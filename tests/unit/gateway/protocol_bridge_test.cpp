// ProtocolBridge: which upstream path each API takes on each backend protocol, the body a target
// gets (untouched but for the model when the protocols agree, translated when they differ), the
// continuation of a broken stream in either protocol, answers and errors for the client's side,
// and a cached OpenAI stream replayed as Anthropic events.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "gateway/protocol_bridge.hpp"

namespace {

namespace json = boost::json;
using sovgw::Protocol;
using sovgw::backends::BackendConfig;
using sovgw::backends::Continuation;

BackendConfig backend(Protocol protocol, std::string base_path, Continuation continuation = Continuation::kNone) {
  BackendConfig b;
  b.protocol = protocol;
  b.url.base_path = std::move(base_path);
  b.continuation = continuation;
  return b;
}

json::object parse(const std::string& text) { return json::parse(text).as_object(); }

const char* kOpenAiChat =
    R"({"model":"chat","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"stream":true})";
const char* kAnthropicChat =
    R"({"model":"chat","system":"Be brief.","max_tokens":64,"messages":[{"role":"user","content":"Hi"}],"top_k":5})";

}  // namespace

TEST_CASE("bridge: upstream paths per protocol") {
  const auto openai = backend(Protocol::kOpenAi, "/v1");
  const auto anthropic = backend(Protocol::kAnthropic, "");
  CHECK(sovgw::upstream_path(openai, "/chat/completions") == "/v1/chat/completions");
  CHECK(sovgw::upstream_path(openai, "/messages") == "/v1/chat/completions");
  CHECK(sovgw::upstream_path(openai, "/embeddings") == "/v1/embeddings");
  CHECK(sovgw::upstream_path(anthropic, "/chat/completions") == "/v1/messages");
  CHECK(sovgw::upstream_path(anthropic, "/messages") == "/v1/messages");
  CHECK(sovgw::upstream_path(anthropic, "/embeddings").empty());
  CHECK(sovgw::upstream_path(anthropic, "/completions").empty());
}

TEST_CASE("bridge: same protocol keeps the body, with the target's model") {
  json::value body = json::parse(kAnthropicChat);
  auto out = sovgw::body_for_backend(Protocol::kAnthropic, backend(Protocol::kAnthropic, ""), body, "claude-x", 4096);
  REQUIRE(out);
  const auto obj = parse(*out);
  CHECK(obj.at("model") == "claude-x");
  CHECK(obj.at("top_k") == 5);  // Anthropic-only fields survive when nothing is translated
  CHECK(obj.at("max_tokens") == 64);
}

TEST_CASE("bridge: an Anthropic request without max_tokens gets the model's default on an Anthropic backend") {
  json::value body = json::parse(R"({"model":"chat","messages":[{"role":"user","content":"Hi"}]})");
  auto out = sovgw::body_for_backend(Protocol::kAnthropic, backend(Protocol::kAnthropic, ""), body, "claude-x", 777);
  REQUIRE(out);
  CHECK(parse(*out).at("max_tokens") == 777);
}

TEST_CASE("bridge: OpenAI client to an Anthropic backend is translated") {
  json::value body = json::parse(kOpenAiChat);
  auto out = sovgw::body_for_backend(Protocol::kOpenAi, backend(Protocol::kAnthropic, ""), body, "claude-x", 1000);
  REQUIRE(out);
  const auto obj = parse(*out);
  CHECK(obj.at("model") == "claude-x");
  CHECK(obj.at("system") == "Be brief.");
  CHECK(obj.at("max_tokens") == 1000);
  CHECK(obj.at("messages").as_array().size() == 1);
  CHECK(obj.at("stream") == true);
}

TEST_CASE("bridge: Anthropic client to an OpenAI backend is translated") {
  json::value body = json::parse(kAnthropicChat);
  auto out = sovgw::body_for_backend(Protocol::kAnthropic, backend(Protocol::kOpenAi, "/v1"), body, "local-x", 4096);
  REQUIRE(out);
  const auto obj = parse(*out);
  CHECK(obj.at("model") == "local-x");
  const auto& messages = obj.at("messages").as_array();
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].at("role") == "system");
  CHECK(obj.at("max_tokens") == 64);
}

TEST_CASE("bridge: a request the backend's protocol cannot express is refused, not mangled") {
  json::value body = json::parse(R"({"model":"chat","n":2,"messages":[{"role":"user","content":"Hi"}]})");
  auto out = sovgw::body_for_backend(Protocol::kOpenAi, backend(Protocol::kAnthropic, ""), body, "claude-x", 4096);
  REQUIRE_FALSE(out);
  CHECK(out.error().code == sovgw::ErrorCode::kInvalidRequest);
}

TEST_CASE("bridge: continuation on an Anthropic backend is a prefilled assistant turn without trailing space") {
  SUBCASE("OpenAI client") {
    auto out = sovgw::continuation_for_backend(Protocol::kOpenAi, backend(Protocol::kAnthropic, "", Continuation::kPrefill),
                                               json::parse(kOpenAiChat), "claude-x", "The answer is ", 4096);
    REQUIRE(out);
    const auto obj = parse(*out);
    const auto& messages = obj.at("messages").as_array();
    REQUIRE(messages.size() == 2);
    CHECK(messages[1].at("role") == "assistant");
    CHECK(json::serialize(messages[1].at("content")).find("The answer is\"") != std::string::npos);
  }
  SUBCASE("Anthropic client") {
    auto out = sovgw::continuation_for_backend(Protocol::kAnthropic, backend(Protocol::kAnthropic, "", Continuation::kPrefill),
                                               json::parse(kAnthropicChat), "claude-x", "The answer is ", 4096);
    REQUIRE(out);
    const auto obj = parse(*out);
    CHECK(obj.at("top_k") == 5);
    const auto& messages = obj.at("messages").as_array();
    REQUIRE(messages.size() == 2);
    CHECK(messages[1].at("content") == "The answer is");
  }
}

TEST_CASE("bridge: continuation for an OpenAI backend follows its continuation mode") {
  auto out = sovgw::continuation_for_backend(Protocol::kAnthropic, backend(Protocol::kOpenAi, "/v1", Continuation::kVllm),
                                             json::parse(kAnthropicChat), "local-x", "The answer is ", 4096);
  REQUIRE(out);
  const auto obj = parse(*out);
  CHECK(obj.at("continue_final_message") == true);
  const auto& messages = obj.at("messages").as_array();
  REQUIRE(messages.size() == 3);  // system, user, the delivered assistant text
  CHECK(messages[2].at("role") == "assistant");
  CHECK(messages[2].at("content") == "The answer is ");
}

TEST_CASE("bridge: answers reach the client in its protocol") {
  const std::string anthropic_answer =
      R"({"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"Hi!"}],)"
      R"("stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":2}})";
  auto openai = sovgw::answer_as_openai(Protocol::kAnthropic, anthropic_answer, "");
  REQUIRE(openai);
  const auto o = parse(*openai);
  CHECK(o.at("model") == "claude-x");  // the model that answered
  CHECK(o.at("choices").as_array()[0].at("finish_reason") == "stop");
  CHECK(o.at("usage").at("prompt_tokens") == 3);
  auto back = sovgw::answer_for_client(Protocol::kAnthropic, *openai, "");
  REQUIRE(back);
  const auto a = parse(*back);
  CHECK(a.at("type") == "message");
  CHECK(a.at("content").as_array()[0].at("text") == "Hi!");
  CHECK(a.at("usage").at("output_tokens") == 2);
  // Same protocol: byte for byte.
  CHECK(*sovgw::answer_for_client(Protocol::kOpenAi, *openai, "") == *openai);
}

TEST_CASE("bridge: upstream errors take the client's shape and status") {
  const auto overloaded = sovgw::error_for_client(Protocol::kOpenAi, Protocol::kAnthropic, 529,
                                                  R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  CHECK(overloaded.status == 503);
  CHECK(parse(overloaded.body).at("error").at("message") == "Overloaded");
  const auto invalid = sovgw::error_for_client(Protocol::kAnthropic, Protocol::kOpenAi, 400,
                                               R"({"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}})");
  CHECK(invalid.status == 400);
  CHECK(parse(invalid.body).at("error").at("type") == "invalid_request_error");
  CHECK(parse(invalid.body).at("type") == "error");
  const std::string same = R"({"error":{"message":"x"}})";
  CHECK(sovgw::error_for_client(Protocol::kOpenAi, Protocol::kOpenAi, 418, same).body == same);
}

TEST_CASE("bridge: sovgw's own errors for an Anthropic client") {
  const std::string openai = R"({"error":{"message":"The model `x` does not exist","type":"invalid_request_error","param":"model","code":"model_not_found"}})";
  CHECK(sovgw::own_error_for_client(Protocol::kOpenAi, 404, openai) == openai);
  const auto a = parse(sovgw::own_error_for_client(Protocol::kAnthropic, 404, openai));
  CHECK(a.at("type") == "error");
  CHECK(a.at("error").at("type") == "not_found_error");
  CHECK(a.at("error").at("message") == "The model `x` does not exist");
  const std::string event = sovgw::anthropic_sse_error(502, "broken");
  CHECK(event.starts_with("event: error\ndata: {"));
  CHECK(event.find("\"api_error\"") != std::string::npos);
}

TEST_CASE("bridge: a replayed OpenAI stream becomes the Anthropic event sequence") {
  const std::string sse =
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}\n\n"
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1,\"total_tokens\":5}}\n\n"
      "data: [DONE]\n\n";
  const std::string out = sovgw::sse_for_anthropic(sse);
  const auto start = out.find("event: message_start");
  const auto delta = out.find("\"text\":\"Hello\"");
  const auto stop = out.find("event: message_stop");
  CHECK(start == 0);
  CHECK(delta != std::string::npos);
  CHECK(stop != std::string::npos);
  CHECK(start < delta);
  CHECK(delta < stop);
  CHECK(out.find("\"stop_reason\":\"end_turn\"") != std::string::npos);
  CHECK(out.find("\"output_tokens\":1") != std::string::npos);
}
