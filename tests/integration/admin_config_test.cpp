// GET /admin/config through the real binary: the effective configuration, defaults included,
// with the names of secret-holding environment variables and whether they were set, never a
// secret itself; behind the admin token when one is configured.
#include <doctest/doctest.h>

#include <string>

#include "tests/integration/killswitch_fixture.hpp"

namespace sovgw::testing {

TEST_CASE("admin: /admin/config shows the effective config without any secret") {
  TempDir dir;
  killswitch::KsConfig cfg;
  cfg.backend("foreign", "http://127.0.0.1:9/v1", true, "api_key_env = \"TEST_FOREIGN_KEY\"\nhealth_check = false")
      .backend("local", "http://127.0.0.1:9/v1", false, "health_check = false")
      .model("chat", {"foreign", "local"});
  GatewayProcess::Options options;
  options.env = {{"TEST_FOREIGN_KEY", "sk-secret-foreign-123"}, {"TEST_TENANT_KEYS", "tenant-secret-1,tenant-secret-2"},
                 {"TEST_ADMIN_TOKEN", "admin-secret-xyz"}};
  std::string text = cfg.str();
  const std::string admin = "[admin]\nlisten = \"127.0.0.1:0\"\n";
  text.replace(text.find(admin), admin.size(), admin + "token_env = \"TEST_ADMIN_TOKEN\"\n");
  text += R"(
[[tenants]]
name = "retail"
api_keys_env = "TEST_TENANT_KEYS"
[[policy.rules]]
name = "ids"
pii = ["kr_rrn"]
action = "restrict"
allowed = ["local"]
)";
  GatewayProcess gw(dir, text, options);
  HttpClient http;
  CHECK(http.get(gw.admin_url("/admin/config")).status == 401);
  HttpResponse r = http.get(gw.admin_url("/admin/config"), {{"authorization", "Bearer admin-secret-xyz"}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  for (const char* secret : {"sk-secret-foreign-123", "tenant-secret-1", "tenant-secret-2", "admin-secret-xyz"}) {
    CHECK(r.body.find(secret) == std::string::npos);
  }
  gwjson::value v = parse_json(r.body);
  CHECK(v.at("gateway").at("home_jurisdiction") == gwjson::value("KR"));
  CHECK(v.at("gateway").at("request_timeout_ms").to_number<int>() == 600000);  // a default
  const auto& foreign = v.at("backends").at(0);
  CHECK(foreign.at("api_key_env") == gwjson::value("TEST_FOREIGN_KEY"));
  CHECK(foreign.at("api_key_set") == gwjson::value(true));
  CHECK(foreign.at("jurisdiction") == gwjson::value("US"));
  CHECK(v.at("backends").at(1).at("api_key_set") == gwjson::value(false));
  CHECK(v.at("tenants").at(0).at("api_keys_loaded").to_number<int>() == 2);
  CHECK(v.at("policy").at("rules").at(0).at("allowed").at(0) == gwjson::value("local"));
  CHECK(v.at("admin").at("token_env") == gwjson::value("TEST_ADMIN_TOKEN"));
}

}  // namespace sovgw::testing
