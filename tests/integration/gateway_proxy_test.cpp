// The real sovgw proxying to a fake upstream, happy paths: what the client gets back (content,
// x-request-id, x-sovgw-backend) and what left the gateway (model rewritten, client credentials
// dropped, the backend key injected, the body intact), the other proxied APIs, /v1/models, client and
// upstream keep-alive, and the admin health endpoints.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "tests/integration/gateway_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;

TEST_CASE("gateway: a chat completion round trip rewrites the model, swaps credentials, keeps the request id") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake, "api_key_env = \"SOVGW_TEST_ALPHA_KEY\"").str(),
                    {.env = {{"SOVGW_TEST_ALPHA_KEY", "sk-backend-alpha"}}});
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"),
                                  {{"authorization", "Bearer client-secret-token"},
                                   {"x-request-id", "client-req-42"},
                                   {"openai-organization", "org-client"},
                                   {"cookie", "session=client-cookie"},
                                   {"x-app-trace", "trace-7"}});
  REQUIRE(r.error == "");
  CHECK(r.status == 200);
  CHECK(r.header("x-request-id") == "client-req-42");
  CHECK(r.header("x-sovgw-backend") == "alpha");
  CHECK(r.header("x-upstream-request-id") == "req_fake_1");  // the backend's own id, kept apart
  CHECK(r.header("x-fake-name") == "alpha");                 // other response headers pass through
  gwjson::value body = parse_json(r.body);
  CHECK(body.at("object") == "chat.completion");
  CHECK(body.at("choices").at(0).at("message").at("content") == "Hello from alpha: hi there");

  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].target == "/v1/chat/completions");
  CHECK(parse_json(seen[0].body).at("model") == "fake-model");
  CHECK(seen[0].header("authorization") == "Bearer sk-backend-alpha");
  CHECK(seen[0].header("x-request-id") == "client-req-42");
  CHECK(seen[0].header("openai-organization") == "");
  CHECK(seen[0].header("cookie") == "");
  CHECK(seen[0].header("x-app-trace") == "trace-7");  // ordinary headers are forwarded
  for (const auto& header : seen[0].headers) CHECK(header.second.find("client-secret-token") == std::string::npos);

  // Without a client id the gateway makes one, and the upstream sees the same one.
  fake.clear();
  HttpResponse second = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "again"));
  CHECK(second.status == 200);
  const std::string id = second.header("x-request-id");
  CHECK_FALSE(id.empty());
  CHECK(id != "client-req-42");
  seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].header("x-request-id") == id);
  CHECK(seen[0].header("authorization") == "Bearer sk-backend-alpha");
}

TEST_CASE("gateway: a client request id that is not plain text is replaced, not forwarded") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"),
                                  {{"x-request-id", "evil id with spaces"}});
  CHECK(r.status == 200);
  const std::string id = r.header("x-request-id");
  CHECK_FALSE(id.empty());
  CHECK(id != "evil id with spaces");
  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].header("x-request-id") == id);
}

TEST_CASE("gateway: a 1 MB request body reaches the upstream byte for byte") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  // Same model name on both sides: the gateway forwards the client's bytes untouched.
  ConfigText cfg;
  cfg.backend("alpha", fake.base_url()).model("fake-model", {{"alpha", "fake-model"}});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());

  std::string content(1024 * 1024, 'x');
  for (std::size_t i = 0; i < content.size(); i += 97) content[i] = static_cast<char>('a' + (i / 97) % 26);
  const std::string body = chat_body("fake-model", content);
  REQUIRE(body.size() > 1024 * 1024);

  HttpClient http(10s);
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), body);
  REQUIRE(r.error == "");
  CHECK(r.status == 200);
  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].body.size() == body.size());
  CHECK(seen[0].body == body);
}

TEST_CASE("gateway: /v1/models lists the configured models in OpenAI's list shape") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);
  cfg.model("second", {{"alpha", "other-model"}});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  HttpResponse r = http.get(gw.url("/v1/models"));
  CHECK(r.status == 200);
  CHECK_FALSE(r.header("x-request-id").empty());
  gwjson::value v = parse_json(r.body);
  CHECK(v.at("object") == "list");
  const auto& data = v.at("data").as_array();
  REQUIRE(data.size() == 2);
  CHECK(data[0].at("id") == "chat");
  CHECK(data[1].at("id") == "second");
  for (const auto& m : data) {
    CHECK(m.at("object") == "model");
    CHECK(m.as_object().contains("created"));
    CHECK(m.as_object().contains("owned_by"));
  }

  HttpResponse one = http.get(gw.url("/v1/models/second"));
  CHECK(one.status == 200);
  CHECK(parse_json(one.body).at("id") == "second");
  HttpResponse missing = http.get(gw.url("/v1/models/nope"));
  CHECK(missing.status == 404);
  check_openai_error(missing.body, "model_not_found");

  CHECK(fake.stats().requests == 0);  // answered by the gateway itself
}

TEST_CASE("gateway: /v1/embeddings and /v1/completions are proxied with the model rewritten") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  HttpResponse e = http.post_json(gw.url("/v1/embeddings"), R"({"model":"chat","input":["one","two"]})");
  CHECK(e.status == 200);
  CHECK(e.header("x-sovgw-backend") == "alpha");
  gwjson::value ev = parse_json(e.body);
  CHECK(ev.at("object") == "list");
  CHECK(ev.at("data").as_array().size() == 2);
  CHECK(ev.at("data").at(0).at("object") == "embedding");

  HttpResponse c = http.post_json(gw.url("/v1/completions"), R"({"model":"chat","prompt":"say hi"})");
  CHECK(c.status == 200);
  CHECK(c.header("x-sovgw-backend") == "alpha");
  gwjson::value cv = parse_json(c.body);
  CHECK(cv.at("object") == "text_completion");
  CHECK(cv.at("choices").at(0).as_object().contains("text"));

  auto seen = fake.requests();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].target == "/v1/embeddings");
  CHECK(parse_json(seen[0].body).at("model") == "fake-model");
  CHECK(seen[1].target == "/v1/completions");
  CHECK(parse_json(seen[1].body).at("model") == "fake-model");
  CHECK(parse_json(seen[1].body).at("prompt") == "say hi");
}

TEST_CASE("gateway: sequential requests share one client connection and one upstream connection") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  int accepted_after_first = 0;
  for (int i = 0; i < 4; ++i) {
    CAPTURE(i);
    HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "n" + std::to_string(i)));
    REQUIRE(r.error == "");
    CHECK(r.status == 200);
    CHECK(r.reused_connection == (i > 0));
    CHECK(parse_json(r.body).at("choices").at(0).at("message").at("content") ==
          gwjson::value("Hello from alpha: n" + std::to_string(i)));
    // The fake counts its control connection (kept alive by FakeUpstream) too; after the first
    // request the count must not move again.
    const int accepted = fake.stats().connections_accepted;
    if (i == 0) accepted_after_first = accepted;
    CHECK(accepted == accepted_after_first);
  }
  CHECK(accepted_after_first <= 2);
  auto seen = fake.requests();
  REQUIRE(seen.size() == 4);
  for (const auto& req : seen) CHECK(req.connection == seen[0].connection);
}

TEST_CASE("gateway: Expect: 100-continue gets a 100 before the body is sent") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  const std::string body = chat_body("chat");
  RawResult r = http.raw(gw.url("/"),
                         {"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Connection: close\r\nExpect: 100-continue\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n",
                          body},
                         {.timeout = 3s, .interval = 200ms});
  INFO("received: " << r.received);
  CHECK(r.received.starts_with("HTTP/1.1 100 Continue\r\n\r\n"));
  CHECK(r.received.find("HTTP/1.1 200 OK") != std::string::npos);
  CHECK(r.received.find("Hello from alpha: hi there") != std::string::npos);
  CHECK(r.peer_closed);
  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].header("expect") == "");  // answered by the gateway, not forwarded
}

TEST_CASE("gateway: two pipelined requests are answered in order on one connection") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  auto request = [](const std::string& body, bool last) {
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
           std::string(last ? "Connection: close\r\n" : "") + "Content-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  RawResult r = http.raw(gw.url("/"), request(chat_body("chat", "first"), false) + request(chat_body("chat", "second"), true),
                         {.timeout = 3s});
  INFO("received: " << r.received);
  const auto first = r.received.find("Hello from alpha: first");
  const auto second = r.received.find("Hello from alpha: second");
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(first < second);
  CHECK(r.peer_closed);
  CHECK(fake.requests().size() == 2);
}

TEST_CASE("gateway: a chunked request body is forwarded whole, with a content-length") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg;
  cfg.backend("alpha", fake.base_url()).model("fake-model", {{"alpha", "fake-model"}});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  const std::string body = chat_body("fake-model", "chunked body");
  const std::string half1 = body.substr(0, body.size() / 2), half2 = body.substr(body.size() / 2);
  auto hex = [](std::size_t n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%zx", n);
    return std::string(buf);
  };
  RawResult r = http.raw(gw.url("/"),
                         "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n" +
                             hex(half1.size()) + "\r\n" + half1 + "\r\n" + hex(half2.size()) + "\r\n" + half2 +
                             "\r\n0\r\n\r\n",
                         {.timeout = 3s});
  INFO("received: " << r.received);
  CHECK(r.status() == 200);
  CHECK(r.received.find("Hello from alpha: chunked body") != std::string::npos);
  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].body == body);
  CHECK(seen[0].header("content-length") == std::to_string(body.size()));
  CHECK(seen[0].header("transfer-encoding") == "");
}

TEST_CASE("gateway: a request pipelined behind a stream is answered after the stream ends") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  fake.script(R"([{"action":"stream","chunks":3,"delay_ms":100}])");
  auto request = [](const std::string& body, bool last) {
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
           std::string(last ? "Connection: close\r\n" : "") + "Content-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  RawResult r = http.raw(gw.url("/"),
                         request(chat_body("chat", "first", true), false) + request(chat_body("chat", "second"), true),
                         {.timeout = 4s});
  INFO("received: " << r.received);
  const auto done = r.received.find("data: [DONE]");
  const auto second = r.received.find("Hello from alpha: second");
  CHECK(done != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(done < second);
  CHECK(r.peer_closed);
  auto seen = fake.requests();
  REQUIRE(seen.size() == 2);
  CHECK(fake.wait_for_outcome(1, "completed", 1000ms).outcome == "completed");
}

TEST_CASE("gateway: /healthz and /readyz answer 200 on the admin port, not on the client port") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  CHECK(http.get(gw.admin_url("/healthz")).status == 200);
  CHECK(http.get(gw.admin_url("/readyz")).status == 200);
  CHECK(http.get(gw.url("/healthz")).status == 404);
}

}  // namespace
}  // namespace sovgw::testing
