// Proves the gateway half of the harness: GatewayProcess starts the real sovgw on port 0 and reads
// its ports back from the READY line, a request goes through it to a fake upstream, SIGTERM stops
// it cleanly, and check_config reports sovgw's --check-config exit codes.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
#include <string>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace sovgw::testing {
namespace {

namespace json = boost::json;

std::string one_backend_config(const FakeUpstream& fake) {
  return R"([gateway]
listen = "127.0.0.1:0"
workers = 1

[admin]
listen = "127.0.0.1:0"

[[backends]]
name = ")" + fake.name() + R"("
protocol = "openai"
base_url = ")" + fake.base_url() + R"("
jurisdiction = "KR"
local = true

[[models]]
name = "chat"
targets = [{backend = ")" + fake.name() + R"(", model = "fake-model"}]
)";
}

TEST_CASE("GatewayProcess: sovgw starts on port 0, proxies to a fake, stops on SIGTERM") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend_config(fake));
  INFO("sovgw log:\n" << gw.log());
  INFO("fake log:\n" << fake.log());
  CHECK(gw.port() != 0);
  CHECK(gw.admin_port() != 0);
  CHECK(gw.port() != gw.admin_port());
  CHECK(gw.ready_line().starts_with("READY listen=127.0.0.1:"));

  HttpClient http;
  CHECK(http.get(gw.admin_url("/healthz")).status == 200);

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"),
                                  R"({"model":"chat","messages":[{"role":"user","content":"hi there"}]})");
  CHECK(r.error == "");
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "alpha");
  CHECK_FALSE(r.header("x-request-id").empty());
  CHECK(r.body.find("Hello from alpha: hi there") != std::string::npos);

  auto seen = fake.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].target == "/v1/chat/completions");
  CHECK(json::parse(seen[0].body).at("model") == "fake-model");

  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"),
                                  R"({"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]})");
  CHECK(s.status == 200);
  CHECK(s.ended_cleanly);
  REQUIRE_FALSE(s.events.empty());
  CHECK(s.events.back() == "[DONE]");

  CHECK(gw.stop() == 0);
}

TEST_CASE("GatewayProcess::check_config: 0 for a valid file, 2 with the problems for an invalid one") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  auto good = GatewayProcess::check_config(dir, one_backend_config(fake));
  INFO(good.stderr_text);
  CHECK(good.exit_code == 0);

  auto bad = GatewayProcess::check_config(dir, one_backend_config(fake) + "\n[gateway2]\nlisten = 1\n", "bad.toml");
  INFO(bad.stderr_text);
  CHECK(bad.exit_code == 2);
  CHECK(bad.stderr_text.find("gateway2") != std::string::npos);
}

}  // namespace
}  // namespace sovgw::testing
