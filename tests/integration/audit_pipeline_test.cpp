// The audit trail as the request pipeline writes it, through the real binary: one record per
// request that names a model (served, restricted, refused), carrying the tenant, each target's
// policy verdict and rule, PII types and counts, never the values; the chain verifies after the
// gateway stops, and a record altered afterwards is named by `sovgw audit verify`.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/integration/killswitch_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;
using killswitch::KsConfig;
using killswitch::kNoProbes;

struct CliRun {
  int code = -1;
  std::vector<std::string> out;
  std::string err;
};

CliRun sovgw_cli(const TempDir& dir, std::vector<std::string> args) {
  ChildProcess p(ChildProcess::Options{.program = GatewayProcess::binary(), .args = std::move(args), .env = {},
                                       .stderr_path = dir.file("cli.log")});
  p.wait_for_line("\n", 20s);  // returns once stdout closes
  CliRun r;
  r.code = p.wait_exit(20s).value_or(-1);
  if (r.code == -1) r.code = p.stop(500ms);
  r.out = p.stdout_lines();
  r.err = p.stderr_text();
  return r;
}

const std::string kRrn = "900101-1234568";

}  // namespace

TEST_CASE("audit: every proxied request leaves one record with the policy's verdicts and no PII values") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, kNoProbes)
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"})
      .model("foreign-only", {"foreign"});
  const std::string config_text = cfg.str() + R"(
[[policy.rules]]
name = "ids-stay-home"
pii = ["kr_rrn"]
action = "restrict"
allowed = ["local", "domestic"]

[audit]
path = ")" + dir.file("audit") + "\"\n";
  std::string config_path;
  {
    GatewayProcess gw(dir, config_text);
    config_path = gw.config_path();
    HttpClient http;
    CHECK(http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "hello")).status == 200);
    CHECK(http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "RRN " + kRrn)).status == 200);
    CHECK(http.post_json(gw.url("/v1/chat/completions"), chat_body("foreign-only", "RRN " + kRrn)).status == 403);
    CHECK(http.post_json(gw.url("/v1/chat/completions"), chat_body("nope", "x")).status == 404);  // no model: no record
    CHECK(gw.stop() == 0);  // the store is flushed on a clean stop
  }

  CliRun exported = sovgw_cli(dir, {"audit", "export", "--config", config_path});
  INFO(exported.err);
  REQUIRE(exported.code == 0);
  REQUIRE(exported.out.size() == 3);
  std::vector<gwjson::object> records;
  for (const auto& line : exported.out) {
    CHECK(line.find(kRrn) == std::string::npos);
    CHECK(line.find("1234568") == std::string::npos);
    gwjson::value v = parse_json(line);
    REQUIRE(v.is_object());
    gwjson::value record = v.at("record");
    if (record.is_string()) record = parse_json(record.as_string());  // the hashed bytes, as text
    records.push_back(record.as_object());
  }
  const auto& plain = records[0];
  CHECK(plain.at("tenant") == gwjson::value("default"));
  CHECK(plain.at("model") == gwjson::value("chat"));
  CHECK(plain.at("backend") == gwjson::value("foreign"));
  CHECK(plain.at("status").to_number<int>() == 200);
  CHECK(plain.at("input_tokens").to_number<int>() > 0);  // the fake's usage, as reported
  CHECK(plain.at("output_tokens").to_number<int>() > 0);

  const auto& restricted = records[1];
  CHECK(restricted.at("backend") == gwjson::value("local"));
  const auto& targets = restricted.at("targets").as_array();
  REQUIRE(targets.size() == 2);
  CHECK(targets[0].at("backend") == gwjson::value("foreign"));
  CHECK(targets[0].at("action") == gwjson::value("deny"));
  CHECK(targets[0].at("rule") == gwjson::value("ids-stay-home"));
  CHECK(targets[1].at("action") == gwjson::value("allow"));
  CHECK(restricted.at("pii").at(0).at("detector") == gwjson::value("kr_rrn"));
  CHECK(restricted.at("pii").at(0).at("count").to_number<int>() == 1);

  const auto& refused = records[2];
  CHECK(refused.at("status").to_number<int>() == 403);
  CHECK(refused.at("outcome") == gwjson::value("policy_denied"));
  CHECK(refused.at("policy_rule") == gwjson::value("ids-stay-home"));
  CHECK(refused.at("input_tokens").is_null());  // nothing answered

  CliRun verified = sovgw_cli(dir, {"audit", "verify", "--config", config_path});
  INFO(verified.err);
  CHECK(verified.code == 0);

  // Alter the first record afterwards (as someone with disk access might): verify names it.
  ChildProcess tamper(ChildProcess::Options{.program = SOVGW_AUDIT_STORE_TOOL,
                                            .args = {"tamper", dir.file("audit"), "1"}, .env = {},
                                            .stderr_path = dir.file("tool.log")});
  REQUIRE(tamper.wait_exit(20s).value_or(-1) == 0);
  CliRun tampered = sovgw_cli(dir, {"audit", "verify", "--config", config_path});
  INFO(tampered.err);
  CHECK(tampered.code == 4);
  REQUIRE(tampered.out.size() >= 2);
  CHECK(tampered.out[1].starts_with("BROKEN at record 1 (hash_mismatch)"));
}

}  // namespace sovgw::testing
