// AuditRecord's canonical JSON (the bytes that are hashed: fixed key order, never prompt text) and
// the RFC 3339 times used in records and by `audit export --since`.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include <boost/json.hpp>

#include "policy/audit_record.hpp"

namespace {

using namespace std::chrono_literals;
using sovgw::policy::AuditRecord;
using sovgw::policy::canonical_json;
using sovgw::policy::format_rfc3339;
using sovgw::policy::parse_rfc3339;
using Clock = std::chrono::system_clock;

// 2025-01-02T03:04:05.123456Z
const Clock::time_point kTime = Clock::time_point(1735787045s + 123456us);

}  // namespace

TEST_CASE("audit record: canonical JSON has a fixed key order and every field") {
  AuditRecord r;
  r.time = kTime;
  r.request_id = "req-1";
  r.tenant = "hr";
  r.model = "gpt-4o";
  r.data_class = "confidential";
  r.targets = {{"openai", "US", false, "deny", "ids-stay-home"}, {"onprem", "KR", true, "allow", "default"}};
  r.policy_action = "allow";
  r.policy_rule = "default";
  r.pii = {{"kr_rrn", 2}, {"email", 1}};
  r.backend = "onprem";
  r.outcome = "ok";
  r.status = 200;
  r.attempts = 1;
  r.input_tokens = 12;
  CHECK(canonical_json(r) ==
        R"({"time":"2025-01-02T03:04:05.123456Z","request_id":"req-1","tenant":"hr","model":"gpt-4o",)"
        R"("data_class":"confidential","targets":[{"backend":"openai","jurisdiction":"US","local":false,)"
        R"("action":"deny","rule":"ids-stay-home"},{"backend":"onprem","jurisdiction":"KR","local":true,)"
        R"("action":"allow","rule":"default"}],"policy_action":"allow","policy_rule":"default",)"
        R"("pii":[{"detector":"kr_rrn","count":2},{"detector":"email","count":1}],"backend":"onprem",)"
        R"("outcome":"ok","status":200,"error_code":"","attempts":1,"input_tokens":12,"output_tokens":null})");
  CHECK(canonical_json(r) == canonical_json(r));
}

TEST_CASE("audit record: strings are JSON-escaped, and every record is valid JSON") {
  AuditRecord r;
  r.model = "a\"b\\c\n\t\x01\x1f/";
  CHECK(canonical_json(r).find(R"("model":"a\"b\\c\n\t\u0001\u001f/")") != std::string::npos);
  r.model = "모델-モデル-\xf0\x9f\x98\x80";  // valid UTF-8 stays as it is
  CHECK(canonical_json(r).find("\"model\":\"모델-モデル-\xf0\x9f\x98\x80\"") != std::string::npos);
  // Invalid UTF-8 (a stray continuation byte, a truncated sequence, an overlong form, a surrogate):
  // each bad byte becomes U+FFFD.
  r.model = "x\x80y\xe2\x82z\xc0\xafw\xed\xa0\x80";
  const std::string json = canonical_json(r);
  CHECK(json.find("\"model\":\"x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbdw"
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"") != std::string::npos);
  boost::json::error_code ec;
  boost::json::parse(json, ec);
  CHECK_FALSE(ec);
}

TEST_CASE("audit record: RFC 3339 formatting is UTC with microseconds") {
  CHECK(format_rfc3339(kTime) == "2025-01-02T03:04:05.123456Z");
  CHECK(format_rfc3339(Clock::time_point{}) == "1970-01-01T00:00:00.000000Z");
  CHECK(format_rfc3339(Clock::time_point(951782400s)) == "2000-02-29T00:00:00.000000Z");
}

TEST_CASE("audit record: RFC 3339 parsing") {
  CHECK(parse_rfc3339("2025-01-02T03:04:05.123456Z") == kTime);
  CHECK(parse_rfc3339(format_rfc3339(kTime)) == kTime);
  CHECK(parse_rfc3339("2025-01-02T03:04:05Z") == Clock::time_point(1735787045s));
  CHECK(parse_rfc3339("2025-01-02t03:04:05z") == Clock::time_point(1735787045s));
  CHECK(parse_rfc3339("2025-01-02 03:04:05Z") == Clock::time_point(1735787045s));
  CHECK(parse_rfc3339("2025-01-02T12:04:05+09:00") == Clock::time_point(1735787045s));
  CHECK(parse_rfc3339("2025-01-01T22:04:05-05:00") == Clock::time_point(1735787045s));
  CHECK(parse_rfc3339("2025-01-02T03:04:05.5Z") == Clock::time_point(1735787045s + 500ms));
  CHECK(parse_rfc3339("2025-01-02T03:04:05.1234567891Z") == Clock::time_point(1735787045s + 123456789ns));
  for (const char* bad : {"", "2025-01-02", "2025-01-02T03:04:05", "2025-13-02T03:04:05Z", "2025-02-30T03:04:05Z",
                          "2025-01-02T24:04:05Z", "2025-01-02T03:04:05.Z", "2025-01-02T03:04:05+0900",
                          "2025-01-02T03:04:05 Z", "2025/01/02T03:04:05Z", "yesterday"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_rfc3339(bad).has_value());
  }
}
