// Scanning whole request bodies: which fields are read, \u escapes, redaction into the body,
// fail closed on the scan budget.
#include "policy/request_scan.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

namespace sovgw::policy {
namespace {

namespace json = boost::json;

const PiiScanner& scanner() {
  static const auto s = [] {
    auto made = PiiScanner::create({});
    REQUIRE(made);
    return *made;
  }();
  return *s;
}

unsigned count_of(const RequestScan& scan, std::string_view detector) {
  for (const auto& c : scan.counts()) {
    if (c.detector == detector) return c.count;
  }
  return 0;
}

}  // namespace

TEST_CASE("every text field of a chat request is scanned, protocol fields are not") {
  const auto body = json::parse(R"({
    "model": "gpt-4o",
    "messages": [
      {"role": "system", "content": "Customer e-mail: kim@example.co.kr"},
      {"role": "user", "content": [{"type": "text", "text": "주민번호 900101-1234568 확인"},
                                   {"type": "image_url", "image_url": {"url": "data:image/png;base64,OTAwMTAxLTEyMzQ1Njg="}}]},
      {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
        "function": {"name": "lookup", "arguments": "{\"card\":\"4111 1111 1111 1111\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "phone 010-1234-5678"}
    ]})");
  ScanScratch scratch;
  RequestScan scan(body, scanner(), scratch, 1 << 20);
  CHECK_FALSE(scan.failed());
  CHECK(count_of(scan, "email") == 1);
  CHECK(count_of(scan, "kr_rrn") == 1);
  CHECK(count_of(scan, "credit_card") == 1);
  CHECK(count_of(scan, "kr_phone") == 1);
}

TEST_CASE("\\u escapes and full-width digits are decoded before scanning") {
  const auto body = json::parse(R"({"model":"m","prompt":"\uc8fc\ubbfc\ubc88\ud638 \uff19\uff10\uff10\uff11\uff10\uff11\uff0d\uff11\uff12\uff13\uff14\uff15\uff16\uff18"})");
  ScanScratch scratch;
  RequestScan scan(body, scanner(), scratch, 1 << 20);
  CHECK(count_of(scan, "kr_rrn") == 1);
}

TEST_CASE("redaction replaces only the chosen types and leaves structure and other text alone") {
  const auto body = json::parse(
      R"({"model":"gpt-4o","messages":[{"role":"user","content":"mail kim@example.co.kr, RRN 900101-1234568"}],"temperature":0})");
  ScanScratch scratch;
  RequestScan scan(body, scanner(), scratch, 1 << 20);
  RedactionMapping mapping;
  const json::value only_email = scan.redacted(body, {"email"}, false, mapping);
  CHECK(only_email.at("messages").at(0).at("content").as_string() == "mail [EMAIL_1], RRN 900101-1234568");
  CHECK(only_email.at("temperature") == body.at("temperature"));
  const json::value all = scan.redacted(body, {}, true, mapping);
  CHECK(all.at("messages").at(0).at("content").as_string() == "mail [EMAIL_1], RRN [KR_RRN_1]");
  CHECK(restore("[EMAIL_1] / [KR_RRN_1]", mapping) == "kim@example.co.kr / 900101-1234568");
  // The original value is untouched.
  CHECK(body.at("messages").at(0).at("content").as_string() == "mail kim@example.co.kr, RRN 900101-1234568");
}

TEST_CASE("a restored JSON body escapes the original values") {
  RedactionMapping mapping;
  const std::string& p = mapping.placeholder_for("custom", "a\"b\\c");
  const std::string body = R"({"content":"value )" + p + R"("})";
  const std::string restored = restore(body, mapping, /*json_escape=*/true);
  CHECK(json::parse(restored).at("content").as_string() == "value a\"b\\c");
}

TEST_CASE("text beyond the scan budget fails closed") {
  const auto body = json::parse(R"({"model":"m","input":["aaaaaaaaaa","bbbbbbbbbb"]})");
  ScanScratch scratch;
  RequestScan scan(body, scanner(), scratch, 15);
  CHECK(scan.failed());
  CHECK(scan.failure().find("scan budget") != std::string::npos);
  RequestScan roomy(body, scanner(), scratch, 100);
  CHECK_FALSE(roomy.failed());
}

TEST_CASE("Anthropic-shaped requests: system, content blocks, tool use and results") {
  const auto body = json::parse(R"({
    "model": "claude", "max_tokens": 100,
    "system": [{"type": "text", "text": "Agent for kim@example.co.kr"}],
    "messages": [{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "RRN 900101-1234568"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "OTAwMTAxLTEyMzQ1Njg="}}]},
      {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_2", "name": "pay",
        "input": {"card": "4111-1111-1111-1111"}}]}]})");
  ScanScratch scratch;
  RequestScan scan(body, scanner(), scratch, 1 << 20);
  CHECK(count_of(scan, "email") == 1);
  CHECK(count_of(scan, "kr_rrn") == 1);  // the base64 image bytes are not read as text
  CHECK(count_of(scan, "credit_card") == 1);
}

}  // namespace sovgw::policy
