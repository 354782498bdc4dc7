// The real sovgw protecting itself from clients: a request header that does not arrive within
// header_timeout_ms (all at once or dripped), a kept-alive connection idle past idle_timeout_ms,
// connections over max_connections. And shutdown: SIGTERM lets an in-flight stream finish, reports
// not-ready on /readyz meanwhile, and does not wait on connections with nothing in flight.
#include <doctest/doctest.h>

#include <signal.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/gateway_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;

TEST_CASE("gateway: a request header not complete within header_timeout_ms gets 408 or a close") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);
  cfg.gateway("header_timeout_ms = 300");
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  SUBCASE("sent in part, then nothing") {
    RawResult r = http.raw(gw.url("/"), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Ty",
                           {.timeout = 4s});
    INFO("received: " << r.received);
    CHECK(r.peer_closed);
    CHECK_FALSE(r.timed_out);
    CHECK(r.closed_after_ms >= 250);
    CHECK(r.closed_after_ms < 2500);
    if (r.status() != 0) {
      CHECK(r.status() == 408);
      CHECK(r.received.find("request_timeout") != std::string::npos);
    }
  }
  SUBCASE("dripped a few bytes at a time (slowloris)") {
    const std::string header = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               "X-Slow: " + std::string(200, 'a') + "\r\n\r\n";
    std::vector<std::string> pieces;
    for (std::size_t i = 0; i < header.size(); i += 4) pieces.push_back(header.substr(i, 4));
    RawResult r = http.raw(gw.url("/"), pieces, {.timeout = 4s, .interval = 50ms});
    INFO("received: " << r.received);
    CHECK_FALSE(r.timed_out);
    CHECK(r.closed_after_ms < 1500);  // dripping the whole header takes over 3 s
    if (r.status() != 0) CHECK(r.status() == 408);
  }
  CHECK(fake.stats().requests == 0);
}

TEST_CASE("gateway: a kept-alive client connection idle past idle_timeout_ms is closed") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);
  cfg.gateway("idle_timeout_ms = 300");
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  RawResult r = http.raw(gw.url("/"), "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n", {.timeout = 4s});
  INFO("received: " << r.received);
  CHECK(r.status() == 200);
  CHECK(r.peer_closed);
  CHECK_FALSE(r.timed_out);
  CHECK(r.closed_after_ms >= 250);
  CHECK(r.closed_after_ms < 2500);

  // A connection that never sends a byte goes the same way.
  RawResult silent = http.raw(gw.url("/"), std::vector<std::string>{}, {.timeout = 4s});
  CHECK(silent.peer_closed);
  CHECK(silent.received.empty());
  CHECK(silent.closed_after_ms < 2500);
}

TEST_CASE("gateway: with max_connections = 2 a third concurrent connection gets 503 too_many_connections") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);
  cfg.gateway("max_connections = 2");
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());

  auto first = std::make_unique<IdleConnection>(gw.port());
  IdleConnection second(gw.port());
  {
    // One worker, one accept queue: the two above are accepted (and counted) before this one.
    HttpClient http;
    HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
    CHECK(r.status == 503);
    check_openai_error(r.body, "too_many_connections");
    CHECK(fake.stats().requests == 0);
  }

  // A slot frees when a connection closes.
  first.reset();
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    HttpClient http;
    status = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat")).status;
  }
  CHECK(status == 200);
}

TEST_CASE("gateway: SIGTERM lets an in-flight stream finish, /readyz says draining meanwhile, exit 0") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);
  cfg.gateway("drain_timeout_ms = 5000");
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  fake.script(R"([{"action":"stream","chunks":8,"delay_ms":100}])");

  HttpClient http;
  HttpClient admin;
  int events = 0;
  int readyz_during_drain = 0;
  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi", true), {},
                                  {.on_event = [&](const std::string&) {
                                     ++events;
                                     if (events == 2) gw.process().signal(SIGTERM);
                                     if (events == 4) readyz_during_drain = admin.get(gw.admin_url("/readyz")).status;
                                     return true;
                                   }});
  INFO("body: " << s.body);
  CHECK(s.status == 200);
  CHECK(s.ended_cleanly);
  CHECK(s.events.size() == 11);  // role, 8 content, finish, [DONE]
  CHECK(has_done(s));
  CHECK(readyz_during_drain == 503);
  CHECK(fake.wait_for_outcome(1, "completed", 1000ms).outcome == "completed");
  CHECK(gw.process().wait_exit(4000ms) == std::optional<int>(0));
}

TEST_CASE("gateway: SIGTERM does not wait for a kept-alive connection whose request has finished") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  ConfigText cfg = one_backend(fake);
  cfg.gateway("drain_timeout_ms = 4000");
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  fake.script(R"([{"action":"slow_first_byte","delay_ms":500}])");

  HttpClient http;  // keeps its connection open until the end of the test, like an SDK's pool
  HttpResponse r;
  std::thread client([&] { r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat")); });
  fake.wait_for_requests(1);
  Stopwatch clock;
  gw.process().signal(SIGTERM);
  client.join();
  CHECK(r.status == 200);
  // The gateway knows it is draining: it tells the client not to reuse the connection...
  CHECK(r.header("connection") == "close");
  // ...and exits once the request is done, long before drain_timeout_ms.
  std::optional<int> code = gw.process().wait_exit(6000ms);
  const double took = clock.ms();
  CHECK(code.value_or(-1) == 0);
  CHECK(took < 2500);
}

}  // namespace
}  // namespace sovgw::testing
