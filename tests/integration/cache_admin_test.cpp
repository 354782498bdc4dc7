// The response cache seen from outside, before the request path uses it: the gateway opens it at
// startup (a database it cannot open is a startup error), GET /admin/cache reports it, DELETE
// /admin/cache empties it (all, one tenant, one model) and rejects what it cannot do.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include <boost/json.hpp>

#include "tests/support/gateway_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace sovgw::testing {
namespace {

namespace json = boost::json;

std::string cache_config(const std::string& cache_section) {
  return R"([gateway]
listen = "127.0.0.1:0"
workers = 1

[admin]
listen = "127.0.0.1:0"

[[backends]]
name = "local"
base_url = "http://127.0.0.1:9/v1"
jurisdiction = "KR"
local = true
health_check = false

[[models]]
name = "chat"
targets = [{backend = "local", model = "m"}]

)" + cache_section;
}

std::string enabled_cache(const TempDir& dir) {
  return "[cache]\nenabled = true\npath = \"" + dir.file("cache") + "\"\nttl_seconds = 60\nstale_if_error_seconds = 600\n";
}

}  // namespace

TEST_CASE("cache admin: stats, and clearing all, by tenant and by model") {
  TempDir dir;
  GatewayProcess gw(dir, cache_config(enabled_cache(dir)));
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  auto stats = http.get(gw.admin_url("/admin/cache"));
  REQUIRE(stats.status == 200);
  auto body = json::parse(stats.body).as_object();
  CHECK(body.at("enabled") == true);
  CHECK(std::string(body.at("path").as_string()) == dir.file("cache"));
  CHECK(body.at("ttl_seconds") == 60);
  CHECK(body.at("stale_if_error_seconds") == 600);
  CHECK(body.at("compression") == "LZ4");
  CHECK(body.at("hits") == 0);
  CHECK(body.contains("entries"));
  CHECK(body.contains("bytes"));

  auto all = http.request("DELETE", gw.admin_url("/admin/cache"));
  CHECK(all.status == 200);
  CHECK(json::parse(all.body) == json::parse(R"({"scope":"all","cleared":0})"));
  auto tenant = http.request("DELETE", gw.admin_url("/admin/cache?tenant=acme%20corp"));
  CHECK(tenant.status == 200);
  CHECK(json::parse(tenant.body) == json::parse(R"({"scope":"tenant","tenant":"acme corp","cleared":0})"));
  auto model = http.request("DELETE", gw.admin_url("/admin/cache?model=chat"));
  CHECK(model.status == 200);
  CHECK(json::parse(model.body) == json::parse(R"({"scope":"model","model":"chat","cleared":0})"));

  CHECK(http.request("DELETE", gw.admin_url("/admin/cache?tenant=a&model=b")).status == 400);
  CHECK(http.request("DELETE", gw.admin_url("/admin/cache?everything=1")).status == 400);
  CHECK(http.request("DELETE", gw.admin_url("/admin/cache?tenant=")).status == 400);
  CHECK(http.request("POST", gw.admin_url("/admin/cache"), "{}").status == 405);
  // The cache still answers after being cleared.
  CHECK(http.get(gw.admin_url("/admin/cache")).status == 200);
  CHECK(gw.stop() == 0);
  CHECK(gw.log().find("response cache cleared (tenant acme corp, 0 entries) by admin API request from 127.0.0.1:") !=
        std::string::npos);
}

TEST_CASE("cache admin: without [cache] enabled, GET says so and DELETE is 404") {
  TempDir dir;
  GatewayProcess gw(dir, cache_config(""));
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  auto stats = http.get(gw.admin_url("/admin/cache"));
  CHECK(stats.status == 200);
  CHECK(json::parse(stats.body) == json::parse(R"({"enabled":false})"));
  CHECK(http.request("DELETE", gw.admin_url("/admin/cache")).status == 404);
}

TEST_CASE("cache admin: a cache database that cannot be opened stops startup") {
  TempDir dir;
  GatewayProcess first(dir, cache_config(enabled_cache(dir)));
  // A second gateway on the same directory finds it locked.
  TempDir other;
  std::string failure;
  try {
    GatewayProcess second(other, cache_config(enabled_cache(dir)));
  } catch (const std::runtime_error& e) {
    failure = e.what();
  }
  CHECK(failure.find("cannot open cache database " + dir.file("cache")) != std::string::npos);
}

}  // namespace sovgw::testing
