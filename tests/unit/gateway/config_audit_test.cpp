// Config keys of the audit trail ([audit]): values reach AuditConfig, a relative path is anchored at
// the config file's directory, absent means off, and each rule's exact message.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

#include "gateway/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using sovgw::load_config_file;
using sovgw::load_config_string;

std::string problems_of(std::string_view text) {
  auto load = load_config_string(text, "a.toml");
  std::string out;
  for (const auto& problem : load.problems) out += (out.empty() ? "" : "\n") + problem;
  CHECK(load.config.has_value() == load.problems.empty());
  return out;
}

// The shared test TempDir, seen through the fs::path interface these tests use.
class TempDir {
 public:
  fs::path path() const { return dir_.path(); }
  fs::path write(const std::string& name, std::string_view text) const { return dir_.write(name, text); }

 private:
  sovgw::testing::TempDir dir_{"sovgw-config-audit"};
};

}  // namespace

TEST_CASE("config: without [audit] the audit trail is off") {
  auto load = load_config_string("", "a.toml");
  REQUIRE(load);
  CHECK_FALSE(load.config->audit.enabled());
  CHECK(load.config->audit.path.empty());
  CHECK_FALSE(load.config->audit.sync);
  CHECK(load.config->audit.queue_capacity == 65536);
}

TEST_CASE("config: audit keys reach the struct") {
  auto load = load_config_string(R"([audit]
path = "/var/lib/sovgw/audit/"
sync = true
queue_capacity = 1000
)",
                                 "a.toml");
  for (const auto& problem : load.problems) FAIL_CHECK(problem);
  REQUIRE(load);
  CHECK(load.config->audit.enabled());
  CHECK(load.config->audit.path == "/var/lib/sovgw/audit/");
  CHECK(load.config->audit.sync);
  CHECK(load.config->audit.queue_capacity == 1000);
}

TEST_CASE("config: a relative audit path is anchored at the config file's directory") {
  TempDir dir;
  fs::create_directory(dir.path() / "conf");
  auto file = dir.write("conf/sovgw.toml", "[audit]\npath = \"../state/./audit\"\n");
  auto load = load_config_file(file.string());
  for (const auto& problem : load.problems) FAIL_CHECK(problem);
  REQUIRE(load);
  CHECK(load.config->audit.path == (dir.path() / "state" / "audit").string());
  CHECK_FALSE(fs::exists(dir.path() / "state"));  // checking the config creates nothing
}

TEST_CASE("config: audit rules and their messages") {
  CHECK(problems_of("[audit]\nsync = true\n") == "a.toml:1: audit.path: required key is missing");
  CHECK(problems_of("[audit]\npath = \"\"\n") ==
        "a.toml:2: audit.path: must name a directory (leave out [audit] to run without an audit trail) (got \"\")");
  CHECK(problems_of("[audit]\npath = 5\n") == "a.toml:2: audit.path: must be a string (got integer 5)");
  CHECK(problems_of("[audit]\npath = \"/tmp/x\"\nsync = \"yes\"\n") ==
        "a.toml:3: audit.sync: must be a boolean (got string \"yes\")");
  CHECK(problems_of("[audit]\npath = \"/tmp/x\"\nqueue_capacity = 0\n") ==
        "a.toml:3: audit.queue_capacity: must be between 1 and 1000000 (got 0)");
  CHECK(problems_of("[audit]\npath = \"/tmp/x\"\nsynch = true\n") ==
        "a.toml:3: audit.synch: unknown key (did you mean \"sync\"?)");
  CHECK(problems_of("audit = \"/tmp/x\"\n") == "a.toml:1: audit: must be a table (got string \"/tmp/x\")");
}

TEST_CASE("config: an audit path that is a file is rejected") {
  TempDir dir;
  auto file = dir.write("taken", "x");
  CHECK(problems_of("[audit]\npath = \"" + file.string() + "\"\n") ==
        "a.toml:2: audit.path: exists and is not a directory: \"" + file.string() + "\" (got \"" + file.string() +
            "\")");
}
