// Redaction into typed placeholders, restoration, and the streaming restorer split at every byte.
#include "policy/redaction.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "policy/stream_restorer.hpp"

namespace sovgw::policy {
namespace {

PiiFinding at(std::string_view text, std::string_view value, std::string_view detector, std::size_t from = 0) {
  const std::size_t pos = text.find(value, from);
  REQUIRE(pos != std::string_view::npos);
  return PiiFinding{detector, pos, pos + value.size()};
}

}  // namespace

TEST_CASE("redact replaces findings with typed placeholders; equal values share one") {
  const std::string text = "A 900101-1234568, B 850615-2345674, A again 900101-1234568, tel 010-1234-5678.";
  const std::vector<PiiFinding> findings = {
      at(text, "900101-1234568", "kr_rrn"),
      at(text, "850615-2345674", "kr_rrn"),
      at(text, "900101-1234568", "kr_rrn", 20),
      at(text, "010-1234-5678", "kr_phone"),
  };
  const Redacted r = redact(text, findings);
  CHECK(r.text == "A [KR_RRN_1], B [KR_RRN_2], A again [KR_RRN_1], tel [KR_PHONE_1].");
  REQUIRE(r.mapping.entries().size() == 3);
  CHECK(r.mapping.entries()[0].original == "900101-1234568");
  CHECK(restore(r.text, r.mapping) == text);
}

TEST_CASE("one mapping spans several texts of a request") {
  RedactionMapping mapping;
  const std::string a = "mail kim@example.com";
  const std::string b = "again kim@example.com and lee@example.com";
  CHECK(redact(a, std::vector{at(a, "kim@example.com", "email")}, mapping) == "mail [EMAIL_1]");
  CHECK(redact(b, std::vector{at(b, "kim@example.com", "email"), at(b, "lee@example.com", "email")}, mapping) ==
        "again [EMAIL_1] and [EMAIL_2]");
}

TEST_CASE("redact keeps full-width values byte-exact and custom names become placeholder types") {
  const std::string text = "번호 ９００１０１－１２３４５６７ 사번 EMP-123456";
  const Redacted r = redact(
      text, std::vector{at(text, "９００１０１－１２３４５６７", "kr_rrn"), at(text, "EMP-123456", "employee_id")});
  CHECK(r.text == "번호 [KR_RRN_1] 사번 [EMPLOYEE_ID_1]");
  CHECK(restore(r.text, r.mapping) == text);
}

TEST_CASE("redact skips overlapping or out-of-range findings") {
  const std::string text = "0123456789";
  const Redacted r = redact(text, std::vector<PiiFinding>{{"a", 0, 4}, {"b", 2, 6}, {"c", 8, 42}});
  CHECK(r.text == "[A_1]456789");
}

TEST_CASE("restore leaves unknown and malformed placeholders alone") {
  RedactionMapping mapping;
  mapping.placeholder_for("kr_rrn", "900101-1234568");
  CHECK(restore("[KR_RRN_1] [KR_RRN_2] [kr_rrn_1] [KR_RRN_1 [[KR_RRN_1]] arr[0]", mapping) ==
        "900101-1234568 [KR_RRN_2] [kr_rrn_1] [KR_RRN_1 [900101-1234568] arr[0]");
  CHECK(restore("no placeholders", RedactionMapping{}) == "no placeholders");
}

TEST_CASE("StreamRestorer restores placeholders split at every byte boundary") {
  const std::string original = "RRN 900101-1234568, mail kim@example.com; [note] a[1] again 900101-1234568 [";
  const std::vector<PiiFinding> findings = {
      at(original, "900101-1234568", "kr_rrn"),
      at(original, "kim@example.com", "email"),
      at(original, "900101-1234568", "kr_rrn", 30),
  };
  const Redacted r = redact(original, findings);
  for (std::size_t cut1 = 0; cut1 <= r.text.size(); ++cut1) {
    for (std::size_t cut2 = cut1; cut2 <= r.text.size(); cut2 += 3) {
      StreamRestorer s(r.mapping);
      std::string out = s.feed(r.text.substr(0, cut1));
      CHECK(s.held_back() < r.mapping.max_placeholder_size());
      out += s.feed(r.text.substr(cut1, cut2 - cut1));
      CHECK(s.held_back() < r.mapping.max_placeholder_size());
      out += s.feed(r.text.substr(cut2));
      out += s.finish();
      REQUIRE(out == original);
    }
  }
}

TEST_CASE("StreamRestorer byte by byte, and holds back only a possible placeholder start") {
  RedactionMapping mapping;
  mapping.placeholder_for("kr_phone", "010-1234-5678");
  StreamRestorer s(mapping);
  std::string out;
  for (char c : std::string("call [KR_PHONE_1] or [x] now")) out += s.feed(std::string_view(&c, 1));
  out += s.finish();
  CHECK(out == "call 010-1234-5678 or [x] now");

  StreamRestorer t(mapping);
  CHECK(t.feed("text [KR_PH") == "text ");
  CHECK(t.held_back() == 6);
  CHECK(t.feed("ONE_1]!") == "010-1234-5678!");
  CHECK(t.feed("[not a placeholder") == "[not a placeholder");
  CHECK(t.feed("[AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") == "[AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");  // longer than any placeholder
  CHECK(t.held_back() == 0);
  CHECK(t.finish().empty());
}

TEST_CASE("StreamRestorer with an empty mapping holds nothing back") {
  const RedactionMapping none;
  StreamRestorer s(none);
  CHECK(s.feed("a [KR_") == "a [KR_");
  CHECK(s.held_back() == 0);
}

}  // namespace sovgw::policy
