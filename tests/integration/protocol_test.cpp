// Anthropic Messages and OpenAI through the real sovgw, non-stream: an OpenAI client served by an
// Anthropic-protocol fake and an Anthropic client (POST /v1/messages) served by an OpenAI-protocol
// fake, each translated both ways; Anthropic to Anthropic forwarded untouched; what each fake
// received (path, key header, version, body); errors in each client's own shape; failover from a
// 529 to the other protocol; x-api-key as the gateway key; APIs an Anthropic backend cannot serve.
// Streams: protocol_stream_test.cpp.
#include <doctest/doctest.h>

#include "tests/integration/protocol_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace protocol;

constexpr std::string_view kNoProbes = "health_check = false";

// Model "chat" → the Anthropic fake "claude" (key from SOVGW_TEST_ANTHROPIC_KEY), then optionally
// the OpenAI fake "local".
std::string anthropic_first(const FakeUpstream& claude, const FakeUpstream* local = nullptr) {
  ConfigText cfg;
  cfg.anthropic_backend("claude", claude.url(""), "api_key_env = \"SOVGW_TEST_ANTHROPIC_KEY\"\n" + std::string(kNoProbes));
  std::vector<std::pair<std::string, std::string>> targets{{"claude", "claude-test"}};
  if (local) {
    cfg.backend("local", local->base_url(), kNoProbes);
    targets.emplace_back("local", "local-model");
  }
  cfg.model("chat", targets);
  return cfg.str();
}

GatewayProcess::Options with_key() { return {.env = {{"SOVGW_TEST_ANTHROPIC_KEY", "sk-ant-upstream"}}}; }

}  // namespace

TEST_CASE("protocol: an OpenAI client is answered by an Anthropic-protocol backend") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  GatewayProcess gw(dir, anthropic_first(claude), with_key());
  const auto r = HttpClient().post_json(gw.url("/v1/chat/completions"),
                                        R"({"model":"chat","messages":[{"role":"system","content":"Be brief."},)"
                                        R"({"role":"user","content":"hi there"}],"temperature":0.5})");
  REQUIRE(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "claude");
  const auto answer = parse_json(r.body).as_object();
  CHECK(answer.at("object") == "chat.completion");
  CHECK(answer.at("model") == "claude-test");
  const auto& choice = answer.at("choices").as_array()[0].as_object();
  CHECK(choice.at("message").at("content") == "Hello from claude: hi there");
  CHECK(choice.at("finish_reason") == "stop");
  CHECK(answer.at("usage").at("prompt_tokens").as_int64() > 0);
  CHECK(answer.at("usage").at("completion_tokens").as_int64() > 0);

  const auto sent = requests_to(claude, "/v1/messages");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].header("x-api-key") == "sk-ant-upstream");
  CHECK(sent[0].header("anthropic-version") == "2023-06-01");
  CHECK(sent[0].header("authorization").empty());
  const auto body = parse_json(sent[0].body).as_object();
  CHECK(body.at("model") == "claude-test");
  CHECK(body.at("system") == "Be brief.");
  CHECK(body.at("max_tokens") == 4096);  // the model's default: the client gave none
  CHECK(body.at("temperature") == 0.5);
  CHECK(body.at("messages").as_array().size() == 1);
}

TEST_CASE("protocol: a model's default_max_tokens is what an Anthropic backend gets") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  std::string cfg = anthropic_first(claude);
  cfg.insert(cfg.find("targets = ["), "default_max_tokens = 333\n");
  GatewayProcess gw(dir, cfg, with_key());
  REQUIRE(HttpClient().post_json(gw.url("/v1/chat/completions"), chat_body("chat")).status == 200);
  const auto sent = requests_to(claude, "/v1/messages");
  REQUIRE(sent.size() == 1);
  CHECK(parse_json(sent[0].body).at("max_tokens") == 333);
}

TEST_CASE("protocol: an OpenAI client's tool call round trip through an Anthropic backend") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  GatewayProcess gw(dir, anthropic_first(claude), with_key());
  claude.script(R"([{"action":"tool_call","name":"get_weather","arguments":"{\"city\":\"Seoul\"}"}])");
  const auto r = HttpClient().post_json(
      gw.url("/v1/chat/completions"),
      R"({"model":"chat","messages":[{"role":"user","content":"Weather in Seoul?"}],)"
      R"("tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object",)"
      R"("properties":{"city":{"type":"string"}}}}}],"tool_choice":"auto"})");
  REQUIRE(r.status == 200);
  const auto answer = parse_json(r.body).as_object();
  const auto& choice = answer.at("choices").as_array()[0].as_object();
  CHECK(choice.at("finish_reason") == "tool_calls");
  const auto& call = choice.at("message").at("tool_calls").as_array()[0].as_object();
  CHECK(call.at("function").at("name") == "get_weather");
  CHECK(parse_json(call.at("function").at("arguments").as_string()).at("city") == "Seoul");
  const auto sent = requests_to(claude, "/v1/messages");
  REQUIRE(sent.size() == 1);
  const auto body = parse_json(sent[0].body).as_object();
  CHECK(body.at("tools").as_array()[0].at("name") == "get_weather");
  CHECK(body.at("tool_choice").at("type") == "auto");

  // The tool's result goes back as a tool_result block after the assistant's tool_use.
  const std::string id(call.at("id").as_string());
  const auto r2 = HttpClient().post_json(
      gw.url("/v1/chat/completions"),
      R"({"model":"chat","messages":[{"role":"user","content":"Weather in Seoul?"},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":")" + id +
          R"(","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Seoul\"}"}}]},)"
          R"({"role":"tool","tool_call_id":")" + id + R"(","content":"Sunny, 21C"}]})");
  REQUIRE(r2.status == 200);
  const auto second = requests_to(claude, "/v1/messages");
  REQUIRE(second.size() == 2);
  const auto request = parse_json(second[1].body);
  const auto& messages = request.at("messages").as_array();
  REQUIRE(messages.size() == 3);
  CHECK(messages[1].at("content").as_array()[0].at("type") == "tool_use");
  CHECK(messages[2].at("content").as_array()[0].at("type") == "tool_result");
  CHECK(messages[2].at("content").as_array()[0].at("tool_use_id") == gwjson::value(id));
}

TEST_CASE("protocol: an Anthropic client is answered by an OpenAI-protocol backend") {
  TempDir dir;
  FakeUpstream local(dir, "local");
  GatewayProcess gw(dir, one_backend(local).str());
  const auto r = HttpClient().post_json(gw.url("/v1/messages"),
                                        messages_body("chat", "hi there", false, R"("system":"Be brief.")"),
                                        anthropic_headers());
  REQUIRE(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "local");
  const auto message = parse_json(r.body).as_object();
  CHECK(message.at("type") == "message");
  CHECK(message.at("role") == "assistant");
  CHECK(message_text(message) == "Hello from local: hi there");
  CHECK(message.at("stop_reason") == "end_turn");
  CHECK(message.at("usage").at("input_tokens").as_int64() > 0);
  CHECK(message.at("usage").at("output_tokens").as_int64() > 0);

  const auto sent = requests_to(local, "/v1/chat/completions");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].header("x-api-key").empty());  // the client's key never leaves
  CHECK(sent[0].header("anthropic-version").empty());
  const auto body = parse_json(sent[0].body).as_object();
  CHECK(body.at("model") == "fake-model");
  CHECK(body.at("max_tokens") == 256);
  const auto& messages = body.at("messages").as_array();
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].at("role") == "system");
  CHECK(messages[0].at("content") == "Be brief.");
}

TEST_CASE("protocol: Anthropic to Anthropic is forwarded as the client wrote it") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  GatewayProcess gw(dir, anthropic_first(claude), with_key());
  const auto r = HttpClient().post_json(gw.url("/v1/messages"), messages_body("chat", "hi there", false, R"("top_k":7)"),
                                        {{"x-api-key", "sk-ant-client"}, {"anthropic-version", "2023-01-01"},
                                         {"anthropic-beta", "tools-2024"}});
  REQUIRE(r.status == 200);
  CHECK(message_text(parse_json(r.body).as_object()) == "Hello from claude: hi there");
  const auto sent = requests_to(claude, "/v1/messages");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].header("x-api-key") == "sk-ant-upstream");  // sovgw's key, not the client's
  CHECK(sent[0].header("anthropic-version") == "2023-01-01");
  CHECK(sent[0].header("anthropic-beta") == "tools-2024");
  const auto body = parse_json(sent[0].body).as_object();
  CHECK(body.at("top_k") == 7);
  CHECK(body.at("model") == "claude-test");
}

TEST_CASE("protocol: errors reach each client in its own shape") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  GatewayProcess gw(dir, anthropic_first(claude), with_key());
  SUBCASE("sovgw's own: unknown model, bad JSON, wrong method") {
    auto r = HttpClient().post_json(gw.url("/v1/messages"), messages_body("nope"), anthropic_headers());
    CHECK(r.status == 404);
    check_anthropic_error(r.body, "not_found_error");
    r = HttpClient().post_json(gw.url("/v1/messages"), "{not json", anthropic_headers());
    CHECK(r.status == 400);
    check_anthropic_error(r.body, "invalid_request_error");
    r = HttpClient().get(gw.url("/v1/messages"));
    CHECK(r.status == 405);
    check_anthropic_error(r.body, "invalid_request_error");
  }
  SUBCASE("the provider's: an Anthropic 400 becomes OpenAI's shape for an OpenAI client") {
    claude.script(
        R"([{"action":"status","status":400,"body":{"type":"error","error":{"type":"invalid_request_error","message":"messages: roles must alternate"}}}])");
    const auto r = HttpClient().post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
    CHECK(r.status == 400);
    CHECK(r.header("x-sovgw-backend") == "claude");
    const auto error = parse_json(r.body).at("error").as_object();
    CHECK(error.at("type") == "invalid_request_error");
    CHECK(error.at("message") == "messages: roles must alternate");
  }
}

TEST_CASE("protocol: a 529 from an Anthropic backend fails over to an OpenAI-protocol one") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  FakeUpstream local(dir, "local");
  GatewayProcess gw(dir, anthropic_first(claude, &local), with_key());
  claude.script("[]", R"({"action":"status","status":529})");
  for (const bool anthropic_client : {false, true}) {
    CAPTURE(anthropic_client);
    const auto r = anthropic_client ? HttpClient().post_json(gw.url("/v1/messages"), messages_body("chat"), anthropic_headers())
                                    : HttpClient().post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-sovgw-backend") == "local");
    const auto v = parse_json(r.body).as_object();
    if (anthropic_client) {
      CHECK(message_text(v) == "Hello from local: hi there");
    } else {
      CHECK(v.at("choices").as_array()[0].at("message").at("content") == "Hello from local: hi there");
    }
  }
}

TEST_CASE("protocol: an Anthropic backend's region refusal cuts it off") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  FakeUpstream local(dir, "local");
  GatewayProcess gw(dir, anthropic_first(claude, &local), with_key());
  claude.script(
      "[]", R"({"action":"status","status":403,"body":{"type":"error","error":{"type":"permission_error","message":"Request not allowed"}}})");
  for (int i = 0; i < 3; ++i) {
    const auto r = HttpClient().post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
    REQUIRE(r.status == 200);
    CHECK(r.header("x-sovgw-backend") == "local");
  }
  CHECK(requests_to(claude, "/v1/messages").size() == 1);  // cut off after the first refusal
}

TEST_CASE("protocol: APIs an Anthropic backend cannot serve, and requests it cannot express") {
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  GatewayProcess gw(dir, anthropic_first(claude), with_key());
  auto r = HttpClient().post_json(gw.url("/v1/embeddings"), R"({"model":"chat","input":"hello"})");
  CHECK(r.status == 400);
  const auto error = check_openai_error(r.body, "invalid_request");
  CHECK(std::string(error.at("message").as_string()).find("has no /embeddings") != std::string::npos);
  r = HttpClient().post_json(gw.url("/v1/chat/completions"),
                             R"({"model":"chat","n":3,"messages":[{"role":"user","content":"hi"}]})");
  CHECK(r.status == 400);
  check_openai_error(r.body, "invalid_request");
  CHECK(requests_to(claude, "/v1/messages").empty());
}

TEST_CASE("protocol: tenants may present their gateway key as x-api-key") {
  TempDir dir;
  FakeUpstream local(dir, "local");
  ConfigText cfg = one_backend(local);
  cfg.tables("[[tenants]]\nname = \"bank\"\napi_keys_env = \"SOVGW_TEST_TENANT_KEYS\"");
  GatewayProcess gw(dir, cfg.str(), {.env = {{"SOVGW_TEST_TENANT_KEYS", "sk-bank-1"}}});
  CHECK(HttpClient().post_json(gw.url("/v1/messages"), messages_body("chat"), anthropic_headers("sk-bank-1")).status == 200);
  const auto r = HttpClient().post_json(gw.url("/v1/messages"), messages_body("chat"), anthropic_headers("sk-wrong"));
  CHECK(r.status == 401);
  check_anthropic_error(r.body, "authentication_error");
  CHECK(requests_to(local, "/v1/chat/completions").size() == 1);
}

}  // namespace sovgw::testing

namespace sovgw::testing {

TEST_CASE("protocol: the policy applies to Anthropic-shaped requests and across translation") {
  using namespace protocol;
  const std::string rrn = "900101-1234568";
  const std::string email = "kim.minsu@example.co.kr";
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  FakeUpstream local(dir, "local");
  ConfigText cfg;
  cfg.anthropic_backend("claude", claude.url(""), "health_check = false")
      .backend("local", local.base_url(), "health_check = false")
      .model("chat", {{"claude", "claude-test"}, {"local", "local-model"}})
      .tables(R"([[policy.rules]]
name = "ids-stay-home"
pii = ["kr_rrn"]
action = "restrict"
allowed = ["local", "domestic"]
[[policy.rules]]
name = "email-pseudonymised-abroad"
pii = ["email"]
destinations = ["foreign"]
action = "pseudonymize")");
  GatewayProcess gw(dir, cfg.str());

  SUBCASE("an RRN in an Anthropic system prompt never reaches the foreign Anthropic backend") {
    const auto r = HttpClient().post_json(
        gw.url("/v1/messages"), messages_body("chat", "hello", false, R"("system":"Customer RRN )" + rrn + R"(")"),
        anthropic_headers());
    REQUIRE(r.status == 200);
    CHECK(r.header("x-sovgw-backend") == "local");
    CHECK(requests_to(claude, "/v1/messages").empty());
    const auto sent = requests_to(local, "/v1/chat/completions");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].body.find(rrn) != std::string::npos);  // on premises it may go as it is
  }
  SUBCASE("an e-mail goes abroad as a placeholder and comes back restored, both client protocols") {
    for (const bool anthropic_client : {false, true}) {
      for (const bool stream : {false, true}) {
        CAPTURE(anthropic_client);
        CAPTURE(stream);
        claude.clear();
        const std::string text = "mail " + email;
        std::string answer;
        if (anthropic_client && stream) {
          answer = anthropic_stream_text(
              HttpClient().stream(gw.url("/v1/messages"), messages_body("chat", text, true), anthropic_headers()));
        } else if (anthropic_client) {
          answer = message_text(
              parse_json(HttpClient().post_json(gw.url("/v1/messages"), messages_body("chat", text), anthropic_headers()).body)
                  .as_object());
        } else if (stream) {
          answer = stream_text(HttpClient().stream(gw.url("/v1/chat/completions"), chat_body("chat", text, true)));
        } else {
          const auto v = parse_json(HttpClient().post_json(gw.url("/v1/chat/completions"), chat_body("chat", text)).body);
          answer = std::string(v.at("choices").as_array()[0].at("message").at("content").as_string());
        }
        CHECK(answer == "Hello from claude: " + text);  // the fake echoed the placeholder; restored
        const auto sent = requests_to(claude, "/v1/messages");
        REQUIRE(sent.size() == 1);
        CHECK(sent[0].body.find(email) == std::string::npos);
        CHECK(sent[0].body.find("[EMAIL_1]") != std::string::npos);
      }
    }
  }
}

}  // namespace sovgw::testing

namespace sovgw::testing {

TEST_CASE("protocol: Anthropic SDKs list models in Anthropic's shape") {
  using namespace protocol;
  TempDir dir;
  FakeUpstream local(dir, "local");
  GatewayProcess gw(dir, one_backend(local).str());
  auto r = HttpClient().get(gw.url("/v1/models"), anthropic_headers());
  REQUIRE(r.status == 200);
  auto list = parse_json(r.body).as_object();
  CHECK(list.at("has_more") == false);
  CHECK(list.at("first_id") == "chat");
  CHECK(list.at("data").as_array()[0].at("type") == "model");
  CHECK(list.at("data").as_array()[0].at("id") == "chat");
  r = HttpClient().get(gw.url("/v1/models/chat"), anthropic_headers());
  REQUIRE(r.status == 200);
  CHECK(parse_json(r.body).at("type") == "model");
  r = HttpClient().get(gw.url("/v1/models/nope"), anthropic_headers());
  CHECK(r.status == 404);
  check_anthropic_error(r.body, "not_found_error");
  // Without anthropic-version: OpenAI's list, as before.
  r = HttpClient().get(gw.url("/v1/models"));
  CHECK(parse_json(r.body).at("object") == "list");
}

}  // namespace sovgw::testing

namespace sovgw::testing {

TEST_CASE("protocol: health checks of an Anthropic backend speak its protocol") {
  using namespace protocol;
  TempDir dir;
  FakeUpstream claude(dir, "claude");
  ConfigText cfg;
  cfg.anthropic_backend("claude", claude.url(""),
                        "api_key_env = \"SOVGW_TEST_ANTHROPIC_KEY\"\nhealth_check_interval_ms = 200\n"
                        "anthropic_version = \"2024-10-22\"")
      .model("chat", {{"claude", "claude-test"}});
  GatewayProcess gw(dir, cfg.str(), {.env = {{"SOVGW_TEST_ANTHROPIC_KEY", "sk-ant-upstream"}}});
  const auto probes = claude.wait_for_requests(1);
  REQUIRE_FALSE(probes.empty());
  CHECK(probes[0].method == "GET");
  CHECK(probes[0].target == "/v1/models");
  CHECK(probes[0].header("x-api-key") == "sk-ant-upstream");
  CHECK(probes[0].header("anthropic-version") == "2024-10-22");  // the configured one
  CHECK(probes[0].header("authorization").empty());
  // Requests of an OpenAI client carry the configured version too.
  claude.clear();
  REQUIRE(HttpClient().post_json(gw.url("/v1/chat/completions"), chat_body("chat")).status == 200);
  const auto sent = requests_to(claude, "/v1/messages");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].header("anthropic-version") == "2024-10-22");
}

}  // namespace sovgw::testing
