// The real sovgw rejecting requests it must not forward: oversized bodies and headers, bodies that
// are not JSON objects, a missing or unknown model, unknown paths and wrong methods. Each answer is
// OpenAI's error JSON with the documented status and code, and nothing reaches the upstream.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "tests/integration/gateway_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;

TEST_CASE("gateway: a body over max_body_bytes gets 413 request_too_large and is not forwarded") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);
  cfg.gateway("max_body_bytes = 4096");
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  // Within the limit first, so the limit is the only difference.
  HttpResponse ok = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", std::string(2000, 'a')));
  CHECK(ok.status == 200);

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", std::string(8000, 'a')));
  CHECK(r.error == "");
  CHECK(r.status == 413);
  CHECK_FALSE(r.header("x-request-id").empty());
  gwjson::object e = check_openai_error(r.body, "request_too_large");
  CHECK(e.at("type") == "invalid_request_error");
  CHECK(fake.stats().requests == 1);
}

TEST_CASE("gateway: a chunked body over max_body_bytes gets 413 request_too_large") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);
  cfg.gateway("max_body_bytes = 4096");
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  const std::string body = chat_body("chat", std::string(8000, 'a'));
  char size[32];
  std::snprintf(size, sizeof size, "%zx", body.size());
  RawResult r = http.raw(gw.url("/"), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n" +
                                          std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n",
                         {.timeout = 3s});
  INFO("received: " << r.received);
  CHECK(r.status() == 413);
  CHECK(r.received.find("request_too_large") != std::string::npos);
  CHECK(fake.stats().requests == 0);
}

TEST_CASE("gateway: a header over max_header_bytes gets 431 request_header_too_large") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);
  cfg.gateway("max_header_bytes = 2048");
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"), {{"x-big", std::string(4000, 'b')}});
  CHECK(r.error == "");
  CHECK(r.status == 431);
  check_openai_error(r.body, "request_header_too_large");
  CHECK(fake.stats().requests == 0);
}

TEST_CASE("gateway: a body that is not a JSON object gets 400 invalid_request_error") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  for (std::string body : {R"({"model":"chat",)", "not json at all", R"(["model","chat"])", R"("chat")"}) {
    CAPTURE(body);
    HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), body);
    CHECK(r.status == 400);
    gwjson::object e = check_openai_error(r.body, "invalid_request");
    CHECK(e.at("type") == "invalid_request_error");
    CHECK_FALSE(r.header("x-request-id").empty());
  }
  CHECK(fake.stats().requests == 0);
}

TEST_CASE("gateway: a missing model gets 400 with param \"model\"") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  for (std::string body : {R"({"messages":[{"role":"user","content":"hi"}]})", R"({"model":"","messages":[]})",
                           R"({"model":42,"messages":[]})"}) {
    CAPTURE(body);
    HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), body);
    CHECK(r.status == 400);
    gwjson::object e = check_openai_error(r.body, "invalid_request");
    CHECK(e.at("type") == "invalid_request_error");
    CHECK(e.at("param") == "model");
  }
  CHECK(fake.stats().requests == 0);
}

TEST_CASE("gateway: a stream flag that is not a boolean gets 400 with param \"stream\"") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), R"({"model":"chat","stream":"yes","messages":[]})");
  CHECK(r.status == 400);
  gwjson::object e = check_openai_error(r.body, "invalid_request");
  CHECK(e.at("param") == "stream");
  CHECK(fake.stats().requests == 0);
}

TEST_CASE("gateway: an unknown model gets 404 model_not_found") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("gpt-unknown"));
  CHECK(r.status == 404);
  gwjson::object e = check_openai_error(r.body, "model_not_found");
  CHECK(e.at("param") == "model");
  CHECK(r.header("x-sovgw-backend") == "");
  CHECK(fake.stats().requests == 0);
}

TEST_CASE("gateway: an unknown path gets 404, a GET on a POST route 405, both in OpenAI's shape") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake).str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  HttpResponse unknown = http.post_json(gw.url("/v1/nope"), chat_body("chat"));
  CHECK(unknown.status == 404);
  check_openai_error(unknown.body, "unknown_url");
  HttpResponse root = http.get(gw.url("/"));
  CHECK(root.status == 404);

  HttpResponse get = http.get(gw.url("/v1/chat/completions"));
  CHECK(get.status == 405);
  check_openai_error(get.body, "method_not_allowed");
  HttpResponse post_models = http.post_json(gw.url("/v1/models"), "{}");
  CHECK(post_models.status == 405);

  // The connection survives these answers.
  HttpResponse after = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(after.status == 200);
  CHECK(after.reused_connection);
  CHECK(fake.stats().requests == 1);
}

}  // namespace
}  // namespace sovgw::testing
