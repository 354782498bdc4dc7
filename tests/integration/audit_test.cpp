// The audit trail through the real binaries: the gateway opens its store at start (and refuses to
// start when it cannot), `sovgw audit verify` passes on an intact chain beside a running gateway
// and names a tampered record with exit 4, `sovgw audit export` writes JSON lines from a time on.
// Stores with records are written by audit_store_tool (the pipeline appends once it is wired).
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "tests/support/child_process.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef SOVGW_AUDIT_STORE_TOOL
#define SOVGW_AUDIT_STORE_TOOL ""
#endif

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;

struct Run {
  int code = -1;
  std::vector<std::string> out;
  std::string err;
};

// Runs a program to its end: exit code, every stdout line, stderr.
Run run(const TempDir& dir, const std::string& program, std::vector<std::string> args, const std::string& log_name) {
  ChildProcess p(ChildProcess::Options{.program = program, .args = std::move(args), .env = {},
                                       .stderr_path = dir.file(log_name)});
  p.wait_for_line("\n", 20s);  // no line holds '\n': returns once stdout closes, every line read
  Run r;
  r.code = p.wait_exit(20s).value_or(-1);
  if (r.code == -1) r.code = p.stop(500ms);
  r.out = p.stdout_lines();
  r.err = p.stderr_text();
  return r;
}

Run sovgw(const TempDir& dir, std::vector<std::string> args) {
  return run(dir, GatewayProcess::binary(), std::move(args), "sovgw-cli.log");
}

Run tool(const TempDir& dir, std::vector<std::string> args) {
  return run(dir, SOVGW_AUDIT_STORE_TOOL, std::move(args), "tool.log");
}

std::string audit_config(const TempDir& dir) {
  return R"([gateway]
listen = "127.0.0.1:0"
workers = 1

[admin]
listen = "127.0.0.1:0"

[audit]
path = ")" + dir.file("audit") + R"("
)";
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

}  // namespace

TEST_CASE("audit: the gateway opens its store at start, and verify works beside it") {
  TempDir dir;
  GatewayProcess gw(dir, audit_config(dir));
  INFO("sovgw log:\n" << gw.log());
  CHECK(gw.log().find("audit trail: " + dir.file("audit") + " (0 records so far)") != std::string::npos);

  auto verified = sovgw(dir, {"audit", "verify", "--config", gw.config_path()});
  INFO(joined(verified.out) << verified.err);
  CHECK(verified.code == 0);
  REQUIRE(verified.out.size() == 2);
  CHECK(verified.out[0] == "audit store: " + dir.file("audit"));
  CHECK(verified.out[1] == "OK: 0 records verified");
  CHECK(gw.stop() == 0);
}

TEST_CASE("audit: a second gateway on the same store does not start, and says why") {
  TempDir dir;
  GatewayProcess first(dir, audit_config(dir));
  const std::string config = dir.write("second.toml", audit_config(dir));
  auto second = run(dir, GatewayProcess::binary(), {"--config", config}, "second.log");
  CHECK(second.code == 1);
  CHECK(second.err.find("cannot start: audit store " + dir.file("audit") + ": cannot open: ") != std::string::npos);
  CHECK(first.stop() == 0);
}

TEST_CASE("audit: verify passes on an intact chain and names a tampered record") {
  TempDir dir;
  const std::string config = dir.write("sovgw.toml", audit_config(dir));
  auto written = tool(dir, {"write", dir.file("audit"), "20"});
  REQUIRE(written.code == 0);

  auto ok = sovgw(dir, {"audit", "verify", "--config", config});
  INFO(joined(ok.out) << ok.err);
  CHECK(ok.code == 0);
  REQUIRE(ok.out.size() == 3);
  CHECK(ok.out[1] == "OK: 20 records verified");
  CHECK(ok.out[2].starts_with("head: seq 20 hash "));
  CHECK(ok.out[2].size() > std::string("head: seq 20 hash ").size() + 64);

  REQUIRE(tool(dir, {"tamper", dir.file("audit"), "7"}).code == 0);
  auto broken = sovgw(dir, {"audit", "verify", "--config", config});
  INFO(joined(broken.out) << broken.err);
  CHECK(broken.code == 4);
  REQUIRE(broken.out.size() == 4);
  CHECK(broken.out[1] == "BROKEN at record 7 (hash_mismatch): record 7 was altered (its content does not match its hash)");
  CHECK(broken.out[2] == "6 records verified before it");
  CHECK(broken.out[3] == ok.out[2]);  // the head still claims the same: compare it with an anchor
}

TEST_CASE("audit: export writes JSON lines, all or from a time on") {
  TempDir dir;
  const std::string config = dir.write("sovgw.toml", audit_config(dir));
  REQUIRE(tool(dir, {"write", dir.file("audit"), "20"}).code == 0);  // record i at 2025-01-02T03:04:05Z + i min

  auto all = sovgw(dir, {"audit", "export", "--config", config});
  CHECK(all.code == 0);
  REQUIRE(all.out.size() == 20);
  auto first = boost::json::parse(all.out[0]).as_object();
  CHECK(first.at("seq") == 1);
  CHECK(first.at("prev_hash").as_string() == std::string(64, '0'));
  CHECK(first.at("record").at("request_id") == "req-1");
  CHECK(first.at("record").at("pii").at(0).at("detector") == "kr_rrn");
  CHECK(all.err.find("audit export: 20 records") != std::string::npos);

  for (const std::string since : {"2025-01-02T03:14:05Z", "2025-01-02T12:14:05+09:00", "1735787645"}) {
    CAPTURE(since);
    auto recent = sovgw(dir, {"audit", "export", "--config", config, "--since", since});
    CHECK(recent.code == 0);
    REQUIRE(recent.out.size() == 11);
    CHECK(boost::json::parse(recent.out[0]).at("seq") == 10);
  }

  auto bad = sovgw(dir, {"audit", "export", "--config", config, "--since", "last tuesday"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--since must be an RFC 3339 time") != std::string::npos);
}

TEST_CASE("audit: verify needs an [audit] table and an existing store") {
  TempDir dir;
  const std::string off = dir.write("off.toml", "[gateway]\nlisten = \"127.0.0.1:0\"\n");
  auto no_table = sovgw(dir, {"audit", "verify", "--config", off});
  CHECK(no_table.code == 2);
  CHECK(no_table.err == off + ": no [audit] table: the audit trail is off\n");

  const std::string config = dir.write("sovgw.toml", audit_config(dir));
  auto missing = sovgw(dir, {"audit", "verify", "--config", config});
  CHECK(missing.code == 1);
  CHECK(missing.err == "audit store " + dir.file("audit") + ": does not exist\n");
}

}  // namespace sovgw::testing
