// Config loader, operations surface: the admin token (token_env, metrics_require_token, the
// loopback rule) and [access_log] (stderr or a file resolved against the config's directory),
// each rule with the exact message operators see.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "gateway/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

std::string problems_of(std::string_view text) {
  auto load = sovgw::load_config_string(text, "t.toml");
  std::string out;
  for (const auto& problem : load.problems) out += (out.empty() ? "" : "\n") + problem;
  CHECK(load.config.has_value() == load.problems.empty());
  return out;
}

sovgw::Config load_ok(std::string_view text) {
  auto load = sovgw::load_config_string(text, "t.toml");
  for (const auto& problem : load.problems) FAIL_CHECK(problem);
  REQUIRE(load);
  return *load.config;
}

}  // namespace

TEST_CASE("config: the admin API is open on loopback by default") {
  auto config = load_ok("");
  CHECK(config.admin.token_env.empty());
  CHECK_FALSE(config.admin.metrics_require_token);
  CHECK(load_ok("[admin]\nlisten = \"[::1]:9901\"\n").admin.token_env.empty());
  CHECK(load_ok("[admin]\nlisten = \"127.0.0.2:9901\"\n").admin.token_env.empty());
}

TEST_CASE("config: admin.token_env names the token's variable and is never echoed") {
  auto config =
      load_ok("[admin]\nlisten = \"0.0.0.0:9901\"\ntoken_env = \"SOVGW_ADMIN_TOKEN\"\nmetrics_require_token = true\n");
  CHECK(config.admin.token_env == "SOVGW_ADMIN_TOKEN");
  CHECK(config.admin.metrics_require_token);
  CHECK(problems_of("[admin]\ntoken_env = \"s3cr3t-token!\"\n") ==
        "t.toml:2: admin.token_env: must be an environment variable name such as SOVGW_ADMIN_TOKEN "
        "(got a string of 13 characters, not shown in case it is a secret)");
}

TEST_CASE("config: a non-loopback admin listener needs a token") {
  CHECK(problems_of("[admin]\nlisten = \"0.0.0.0:9901\"\n") ==
        "t.toml:2: admin.listen: is not a loopback address, so admin.token_env must name the admin token's "
        "variable (got \"0.0.0.0:9901\")");
  CHECK(problems_of("[admin]\nlisten = \"10.1.2.3:9901\"\ntoken_env = \"\"\n") ==
        "t.toml:2: admin.listen: is not a loopback address, so admin.token_env must name the admin token's "
        "variable (got \"10.1.2.3:9901\")");
  CHECK(problems_of("[admin]\nmetrics_require_token = true\n") ==
        "t.toml:2: admin.metrics_require_token: needs admin.token_env (got true)");
  CHECK(problems_of("[admin]\ntoken = \"abc\"\n") ==
        "t.toml:2: admin.token: unknown key (did you mean \"token_env\"?)");
}

TEST_CASE("config: [access_log] goes to stderr by default, or to a file beside the config") {
  auto config = load_ok("");
  CHECK(config.access_log.enabled);
  CHECK(config.access_log.path == "-");
  CHECK(load_ok("[access_log]\npath = \"\"\n").access_log.path == "-");
  CHECK_FALSE(load_ok("[access_log]\nenabled = false\n").access_log.enabled);

  sovgw::testing::TempDir tmp("sovgw-accesslog");
  const fs::path dir = tmp.path();
  fs::create_directory(dir / "logs");
  const fs::path file = dir / "sovgw.toml";
  std::ofstream(file) << "[access_log]\npath = \"logs/access.log\"\n";
  auto loaded = sovgw::load_config_file(file.string());
  REQUIRE(loaded);
  CHECK(loaded.config->access_log.path == (dir / "logs/access.log").string());

  std::ofstream(file) << "[access_log]\npath = \"nowhere/access.log\"\n";
  auto missing = sovgw::load_config_file(file.string());
  REQUIRE(missing.problems.size() == 1);
  CHECK(missing.problems[0] == file.string() + ":2: access_log.path: directory \"" + (dir / "nowhere").string() +
                                   "\" does not exist (got \"nowhere/access.log\")");
  std::ofstream(file) << "[access_log]\npath = \"logs\"\n";
  auto is_dir = sovgw::load_config_file(file.string());
  REQUIRE(is_dir.problems.size() == 1);
  CHECK(is_dir.problems[0] == file.string() + ":2: access_log.path: is a directory, not a file (got \"logs\")");
  fs::remove_all(dir);

  CHECK(problems_of("[access_log]\nenable = false\nformat = \"json\"\n") ==
        "t.toml:2: access_log.enable: unknown key (did you mean \"enabled\"?)\n"
        "t.toml:3: access_log.format: unknown key");
}
