// Config keys of the response cache: [cache] and the per-model `cache` — values reach the
// structs, the defaults are the documented ones, and each rule's exact message.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "gateway/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using sovgw::load_config_string;

std::string problems_of(std::string_view text) {
  auto load = load_config_string(text, "c.toml");
  std::string out;
  for (const auto& problem : load.problems) out += (out.empty() ? "" : "\n") + problem;
  return out;
}

constexpr std::string_view kModels = R"(
[[backends]]
name = "a"
base_url = "http://127.0.0.1:1/v1"
jurisdiction = "US"
[[models]]
name = "on"
cache = true
targets = [{ backend = "a", model = "x" }]
[[models]]
name = "off"
cache = false
targets = [{ backend = "a", model = "x" }]
[[models]]
name = "unset"
targets = [{ backend = "a", model = "x" }]
)";

}  // namespace

TEST_CASE("config: cache keys reach the structs") {
  sovgw::testing::TempDir dir("sovgw-config");
  const auto text = "[cache]\nenabled = true\npath = \"" + dir.file("cache") +
                    "\"\nttl_seconds = 120\nstale_if_error_seconds = 7200\nmax_bytes = 33554432\n" +
                    std::string(kModels);
  auto load = load_config_string(text, "c.toml");
  for (const auto& p : load.problems) FAIL_CHECK(p);
  REQUIRE(load);
  const auto& c = load.config->cache;
  CHECK(c.enabled);
  CHECK(c.path == dir.file("cache"));
  CHECK(c.ttl_seconds == 120);
  CHECK(c.stale_if_error_seconds == 7200);
  CHECK(c.max_bytes == 33554432);
  CHECK(load.config->find_model("on")->cache == true);
  CHECK(load.config->find_model("off")->cache == false);
  CHECK_FALSE(load.config->find_model("unset")->cache.has_value());
}

TEST_CASE("config: the cache defaults are the documented ones") {
  auto load = load_config_string("", "c.toml");
  REQUIRE(load);
  const auto& c = load.config->cache;
  CHECK_FALSE(c.enabled);
  CHECK(c.path.empty());
  CHECK(c.ttl_seconds == 3600);
  CHECK(c.stale_if_error_seconds == 86400);
  CHECK(c.max_bytes == 1073741824);
}

TEST_CASE("config: a relative cache path is relative to the config file") {
  sovgw::testing::TempDir dir("sovgw-config");
  const auto file = dir.write("sovgw.toml", "[cache]\nenabled = true\npath = \"state/../cache\"\n");
  auto load = sovgw::load_config_file(file);
  for (const auto& p : load.problems) FAIL_CHECK(p);
  REQUIRE(load);
  CHECK(load.config->cache.path == dir.file("cache"));
}

TEST_CASE("config: cache rules and their messages") {
  CHECK(problems_of("[cache]\nenabled = true\n") == "c.toml:1: cache.path: required key is missing");
  CHECK(problems_of("[cache]\npath = \"\"\n") == "c.toml:2: cache.path: must not be empty (got \"\")");
  CHECK(problems_of("[cache]\nttl_seconds = 0\n") ==
        "c.toml:2: cache.ttl_seconds: must be between 1 and 31536000 (got 0)");
  CHECK(problems_of("[cache]\nmax_bytes = 1024\n") ==
        "c.toml:2: cache.max_bytes: must be between 16777216 and 1099511627776 (got 1024)");
  CHECK(problems_of("[cache]\nttl_seconds = 600\nstale_if_error_seconds = 60\n") ==
        "c.toml:3: cache.stale_if_error_seconds: must be 0 or at least ttl_seconds, 600 (an answer is served "
        "stale only after it stops being fresh) (got 60)");
  CHECK(problems_of("[cache]\nttl_seconds = 600\nstale_if_error_seconds = 0\n").empty());
  CHECK(problems_of("[cache]\nttl_secnds = 5\n") == "c.toml:2: cache.ttl_secnds: unknown key (did you mean \"ttl_seconds\"?)");
  CHECK(problems_of("[cache]\nenabled = \"yes\"\npath = \"/nonexistent/sovgw-cache\"\n") ==
        "c.toml:2: cache.enabled: must be a boolean (got string \"yes\")");
}

TEST_CASE("config: a cache path that is a file is rejected") {
  sovgw::testing::TempDir dir("sovgw-config");
  const auto file = dir.write("taken", "x");
  CHECK(problems_of("[cache]\npath = \"" + file + "\"\n") ==
        "c.toml:2: cache.path: exists and is not a directory (\"" + file + "\") (got \"" + file + "\")");
}

TEST_CASE("config: a model's cache must be a boolean") {
  CHECK(problems_of(R"([[backends]]
name = "a"
base_url = "http://127.0.0.1:1/v1"
jurisdiction = "US"
[[models]]
name = "m"
cache = "on"
targets = [{ backend = "a", model = "x" }]
)") == "c.toml:7: models[0].cache: must be a boolean (got string \"on\")");
}
