// The real sovgw talking HTTPS to a fake upstream: the certificate is verified against the
// backend's ca_file (tests/fakes/certs/ca.pem); a certificate that CA did not sign is 502
// upstream_tls_error, nothing is sent over that connection, and the next target is tried.
#include <doctest/doctest.h>

#include <string>

#include "tests/integration/gateway_fixture.hpp"

namespace sovgw::testing {
namespace {

TEST_CASE("gateway: an https upstream verified with the backend's ca_file works") {
  TempDir dir;
  FakeUpstream fake(dir, FakeUpstream::Options{.name = "secure",
                                               .tls_cert = cert_path("server.pem"),
                                               .tls_key = cert_path("server-key.pem")});
  REQUIRE(fake.base_url().starts_with("https://"));
  GatewayProcess gw(dir, one_backend(fake, "ca_file = \"" + cert_path("ca.pem") + "\"").str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "secure");
  CHECK(parse_json(r.body).at("choices").at(0).at("message").at("content") == "Hello from secure: hi there");

  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi there", true));
  CHECK(s.status == 200);
  CHECK(stream_text(s) == "Hello from secure: hi there");
  CHECK(has_done(s));
  CHECK(fake.requests().size() == 2);
}

TEST_CASE("gateway: an https upstream whose certificate the ca_file does not trust is 502 upstream_tls_error") {
  TempDir dir;
  FakeUpstream fake(dir, FakeUpstream::Options{.name = "imposter",
                                               .tls_cert = cert_path("untrusted.pem"),
                                               .tls_key = cert_path("untrusted-key.pem")});
  GatewayProcess gw(dir, one_backend(fake, "ca_file = \"" + cert_path("ca.pem") + "\"").str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 502);
  check_openai_error(r.body, "upstream_tls_error");
  CHECK(fake.requests().empty());  // nothing was sent over the unverified connection
}

TEST_CASE("gateway: an untrusted https target fails over to the next target") {
  TempDir dir;
  FakeUpstream imposter(dir, FakeUpstream::Options{.name = "imposter",
                                                   .tls_cert = cert_path("untrusted.pem"),
                                                   .tls_key = cert_path("untrusted-key.pem")});
  FakeUpstream beta(dir, "beta");
  ConfigText cfg;
  cfg.backend("imposter", imposter.base_url(), "ca_file = \"" + cert_path("ca.pem") + "\"")
      .backend("beta", beta.base_url())
      .model("chat", {{"imposter", "m"}, {"beta", "m"}});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "beta");
  CHECK(imposter.requests().empty());
  CHECK(beta.requests().size() == 1);
}

}  // namespace
}  // namespace sovgw::testing
