// The data-sovereignty policy through the real sovgw, with a "foreign" (US) and a "local" (KR,
// on-premises) fake: PII to a foreign target is refused, rerouted, redacted or pseudonymised
// exactly as the rule says, and what each fake recorded proves no value left; pseudonymised
// values come back restored (JSON and SSE); failover re-applies the policy; unscannable
// requests fail closed; tenants and data classes select rules.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/integration/killswitch_fixture.hpp"

namespace sovgw::testing {
namespace {

using killswitch::chat_requests;
using killswitch::KsConfig;
using killswitch::kNoProbes;

const std::string kRrn = "900101-1234568";
const std::string kEmail = "kim.minsu@example.co.kr";

// The default policy of config.example.toml, trimmed to what these tests use.
const std::string kPolicy = R"(
[[tenants]]
name = "hr"
api_keys_env = "TEST_HR_KEYS"
[[tenants]]
name = "retail"
api_keys_env = "TEST_RETAIL_KEYS"

[policy]
default_action = "allow"
)";
const std::string kRules = R"(
[[policy.rules]]
name = "national-ids-stay-home"
pii = ["kr_rrn", "credit_card"]
action = "restrict"
allowed = ["local", "domestic"]

[[policy.rules]]
name = "hr-on-premises-only"
tenants = ["hr"]
action = "restrict"
allowed = ["local"]

[[policy.rules]]
name = "confidential-stays-home"
data_classes = ["confidential", "secret"]
action = "restrict"
allowed = ["local", "domestic"]

[[policy.rules]]
name = "contact-details-pseudonymised-abroad"
pii = ["email", "kr_phone"]
destinations = ["foreign"]
action = "pseudonymize"

[[policy.rules]]
name = "ips-redacted-abroad"
pii = ["ipv4"]
destinations = ["foreign"]
action = "redact"
)";

const HttpHeaders kRetail{{"authorization", "Bearer retail-key-1"}};
const HttpHeaders kHr{{"authorization", "Bearer hr-key-1"}};

GatewayProcess::Options with_keys() {
  GatewayProcess::Options o;
  o.env = {{"TEST_HR_KEYS", "hr-key-1"}, {"TEST_RETAIL_KEYS", "retail-key-1, retail-key-2"}};
  return o;
}

struct World {
  TempDir dir;
  FakeUpstream foreign{dir, "foreign"};
  FakeUpstream local{dir, "local"};
  std::unique_ptr<GatewayProcess> gw;
  HttpClient http;

  // `extra_policy`: more [policy] keys; `local_extra`: more keys of the local backend.
  explicit World(std::string_view extra_policy = "", std::string_view local_extra = "") {
    KsConfig cfg;
    cfg.backend("foreign", foreign.base_url(), true, kNoProbes)
        .backend("local", local.base_url(), false, std::string(kNoProbes) + "\n" + std::string(local_extra))
        .model("chat", {"foreign", "local"})
        .model("foreign-only", {"foreign"})
        .model("local-first", {"local", "foreign"});
    gw = std::make_unique<GatewayProcess>(dir, cfg.str() + kPolicy + std::string(extra_policy) + kRules, with_keys());
  }
  HttpResponse chat(std::string_view model, std::string_view text, const HttpHeaders& headers = kRetail) {
    return http.post_json(gw->url("/v1/chat/completions"), chat_body(model, text), headers);
  }
};

// Nothing any fake recorded contains `value`.
void check_never_sent(FakeUpstream& fake, std::string_view value) {
  for (const auto& r : fake.requests()) {
    INFO("request to " << fake.name() << ": " << r.body);
    CHECK(r.body.find(value) == std::string::npos);
  }
}

std::string message_of(const HttpResponse& r) {
  gwjson::value v = parse_json(r.body);
  if (!v.is_object() || !v.as_object().contains("error")) return "";
  return std::string(v.at("error").at("message").as_string());
}

}  // namespace

TEST_CASE("policy: a resident registration number never reaches the foreign target; the local one answers") {
  World w;
  HttpResponse r = w.chat("chat", "고객 주민번호 " + kRrn + " 조회해줘");
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "local");
  CHECK(chat_requests(w.foreign).empty());
  REQUIRE(chat_requests(w.local).size() == 1);
  CHECK(chat_requests(w.local)[0].body.find(kRrn) != std::string::npos);  // on premises: unchanged
}

TEST_CASE("policy: a model with only foreign targets refuses PII with 403 pii_egress_blocked, naming rule and type") {
  World w;
  HttpResponse r = w.chat("foreign-only", "카드 4111-1111-1111-1111 결제, 주민번호 " + kRrn);
  CHECK(r.status == 403);
  auto e = check_openai_error(r.body, "pii_egress_blocked");
  CHECK(e.at("type") == gwjson::value("permission_error"));
  const std::string message = message_of(r);
  CHECK(message.find("national-ids-stay-home") != std::string::npos);
  CHECK(message.find("kr_rrn") != std::string::npos);
  CHECK(message.find("credit_card") != std::string::npos);
  CHECK(message.find(kRrn) == std::string::npos);
  CHECK(message.find("4111") == std::string::npos);
  CHECK(w.foreign.requests().empty());
  // Without PII the same model is served.
  CHECK(w.chat("foreign-only", "hello").status == 200);
}

TEST_CASE("policy: pseudonymised for the foreign target, restored in the JSON answer") {
  World w;
  HttpResponse r = w.chat("foreign-only", "Reply to " + kEmail + " please");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto sent = chat_requests(w.foreign);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].body.find("[EMAIL_1]") != std::string::npos);
  check_never_sent(w.foreign, kEmail);
  // The fake echoes the placeholder; the client gets the original back.
  CHECK(killswitch::answer_text(r) == "Hello from foreign: Reply to " + kEmail + " please");
}

TEST_CASE("policy: pseudonymised for the foreign target, restored in the streamed answer") {
  World w;
  SseStreamResult s = w.http.stream(w.gw->url("/v1/chat/completions"),
                                    chat_body("foreign-only", "Call 010-1234-5678 or mail " + kEmail, true), kRetail);
  INFO(s.body);
  CHECK(s.status == 200);
  CHECK(has_done(s));
  CHECK(stream_text(s) == "Hello from foreign: Call 010-1234-5678 or mail " + kEmail);
  check_never_sent(w.foreign, kEmail);
  check_never_sent(w.foreign, "010-1234-5678");
  CHECK(s.body.find("[EMAIL_1]") == std::string::npos);
}

TEST_CASE("policy: redact sends placeholders and does not restore them") {
  World w;
  HttpResponse r = w.chat("foreign-only", "server 10.20.30.40 is down");
  REQUIRE(r.status == 200);
  check_never_sent(w.foreign, "10.20.30.40");
  CHECK(killswitch::answer_text(r) == "Hello from foreign: server [IPV4_1] is down");
}

TEST_CASE("policy: on the way from a failed local target to the foreign one the policy is applied again") {
  World w("", "");
  w.local.script("[]", killswitch::status_behaviour(503, R"({"error":{"message":"down","type":"server_error"}})"));
  // E-mail: the foreign target is allowed, but only pseudonymised.
  HttpResponse r = w.chat("local-first", "Write to " + kEmail);
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "foreign");
  CHECK(chat_requests(w.local).size() >= 1);
  CHECK(chat_requests(w.local)[0].body.find(kEmail) != std::string::npos);  // on premises: unchanged
  check_never_sent(w.foreign, kEmail);
  CHECK(killswitch::answer_text(r) == "Hello from foreign: Write to " + kEmail);

  // RRN: the local target failed and the foreign one is forbidden: the client gets the local
  // failure, and the foreign fake never sees the request.
  w.foreign.clear();
  HttpResponse blocked = w.chat("local-first", "RRN " + kRrn);
  CHECK(blocked.status != 200);
  CHECK(chat_requests(w.foreign).empty());
}

TEST_CASE("policy: fail closed — text over the scan budget is treated as containing every PII type") {
  World w("max_scan_bytes = 1024\n");
  const std::string big(2000, 'a');
  HttpResponse r = w.chat("foreign-only", big);
  CHECK(r.status == 403);
  check_openai_error(r.body, "pii_egress_blocked");
  CHECK(message_of(r).find("could not be scanned") != std::string::npos);
  CHECK(w.foreign.requests().empty());
  // The local target may still receive it.
  HttpResponse local = w.chat("chat", big);
  CHECK(local.status == 200);
  CHECK(local.header("x-sovgw-backend") == "local");
  // A body that is not JSON never leaves at all.
  HttpResponse bad = w.http.post_json(w.gw->url("/v1/chat/completions"), R"({"model":"foreign-only","messages":[)", kRetail);
  CHECK(bad.status == 400);
  CHECK(w.foreign.requests().empty());
}

TEST_CASE("policy: tenants come from the gateway API key; unknown keys get 401") {
  World w;
  HttpResponse none = w.http.post_json(w.gw->url("/v1/chat/completions"), chat_body("chat", "hi"));
  CHECK(none.status == 401);
  check_openai_error(none.body, "invalid_api_key");
  HttpResponse wrong = w.chat("chat", "hi", {{"authorization", "Bearer nope"}});
  CHECK(wrong.status == 401);
  CHECK(w.chat("chat", "hi", {{"authorization", "Bearer retail-key-2"}}).status == 200);
  // The hr tenant may only use on-premises models, with or without PII.
  HttpResponse hr = w.chat("chat", "salary review", kHr);
  CHECK(hr.status == 200);
  CHECK(hr.header("x-sovgw-backend") == "local");
  HttpResponse hr_foreign = w.chat("foreign-only", "salary review", kHr);
  CHECK(hr_foreign.status == 403);
  check_openai_error(hr_foreign.body, "policy_denied");
  CHECK(message_of(hr_foreign).find("hr-on-premises-only") != std::string::npos);
  CHECK(chat_requests(w.foreign).size() == 1);  // only the retail request above
}

TEST_CASE("policy: the data class header selects rules; a bad value is a 400") {
  World w;
  HttpHeaders confidential = kRetail;
  confidential.emplace_back("x-sovgw-data-class", "confidential");
  HttpResponse r = w.chat("chat", "quarterly numbers", confidential);
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "local");
  CHECK(chat_requests(w.foreign).empty());
  HttpHeaders bogus = kRetail;
  bogus.emplace_back("x-sovgw-data-class", "top-secret");
  HttpResponse bad = w.chat("chat", "x", bogus);
  CHECK(bad.status == 400);
  check_openai_error(bad.body, "invalid_request");
  // The header itself never reaches a backend.
  for (const auto& req : w.local.requests()) CHECK(req.header("x-sovgw-data-class").empty());
}

}  // namespace sovgw::testing

namespace sovgw::testing {

TEST_CASE("policy: /admin/policy/explain answers target by target without sending anything") {
  World w;
  HttpResponse r = w.http.post_json(w.gw->admin_url("/admin/policy/explain"),
                                    R"({"model":"chat","tenant":"retail","text":"주민번호 900101-1234568"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  gwjson::value v = parse_json(r.body);
  CHECK(v.at("outcome") == gwjson::value("allow"));
  CHECK(v.at("first_target") == gwjson::value("local"));
  CHECK(v.at("pii").at(0).at("detector") == gwjson::value("kr_rrn"));
  CHECK(v.at("targets").at(0).at("backend") == gwjson::value("foreign"));
  CHECK(v.at("targets").at(0).at("action") == gwjson::value("deny"));
  CHECK(v.at("targets").at(0).at("rule") == gwjson::value("national-ids-stay-home"));
  CHECK(r.body.find("1234568") == std::string::npos);  // never the value
  HttpResponse denied = w.http.post_json(w.gw->admin_url("/admin/policy/explain"),
                                         R"({"model":"foreign-only","tenant":"hr","text":"hello"})");
  gwjson::value d = parse_json(denied.body);
  CHECK(d.at("outcome") == gwjson::value("deny"));
  CHECK(d.at("code") == gwjson::value("policy_denied"));
  HttpResponse bad = w.http.post_json(w.gw->admin_url("/admin/policy/explain"), R"({"model":"nope","text":"x"})");
  CHECK(bad.status == 404);
  CHECK(w.foreign.requests().empty());
  CHECK(w.local.requests().empty());
}

TEST_CASE("policy: `sovgw policy test` passes matching cases and exits 1 on a mismatch") {
  TempDir dir;
  KsConfig cfg;
  cfg.backend("foreign", "http://127.0.0.1:9/v1", true).backend("local", "http://127.0.0.1:9/v1", false)
      .model("chat", {"foreign", "local"});
  const std::string config = dir.write("sovgw.toml", cfg.str() + kPolicy + kRules);
  auto run = [&](const std::string& cases) {
    const std::string path = dir.write("cases.toml", cases);
    ChildProcess p(ChildProcess::Options{.program = SOVGW_BINARY,
                                         .args = {"policy", "test", "--config", config, path},
                                         .env = {},
                                         .stderr_path = dir.file("policy-test.log")});
    const int code = p.wait_exit(std::chrono::seconds(10)).value_or(-1);
    std::string out;
    for (const auto& line : p.stdout_lines()) out += line + "\n";
    return std::make_pair(code, out + p.stderr_text());
  };
  const std::string good = R"([[cases]]
name = "rrn stays home"
model = "chat"
text = "900101-1234568"
expect = "allow"
expect_first_target = "local"
expect_targets = { foreign = "deny", local = "allow" }
)";
  auto [ok, ok_out] = run(good);
  INFO(ok_out);
  CHECK(ok == 0);
  CHECK(ok_out.find("PASS rrn stays home") != std::string::npos);
  auto [bad, bad_out] = run(R"([[cases]]
name = "wrongly expected abroad"
model = "chat"
text = "900101-1234568"
expect = "allow"
expect_first_target = "foreign"
)");
  INFO(bad_out);
  CHECK(bad == 1);
  CHECK(bad_out.find("FAIL wrongly expected abroad") != std::string::npos);
  CHECK(bad_out.find("first target: expected foreign, got local") != std::string::npos);
  auto [invalid, invalid_out] = run("[[cases]]\nname = \"x\"\nmodel = \"nope\"\ntext = \"x\"\nexpect = \"maybe\"\n");
  INFO(invalid_out);
  CHECK(invalid == 2);
  CHECK(invalid_out.find("cases[0].model: no model named \"nope\"") != std::string::npos);
  CHECK(invalid_out.find("cases[0].expect: must be \"allow\" or \"deny\"") != std::string::npos);
}

}  // namespace sovgw::testing
