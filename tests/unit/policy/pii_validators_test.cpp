// Validators on their own: checksums, dates and ranges, plus the custom-detector name registry.
#include "policy/pii_validators.hpp"

#include <doctest/doctest.h>

#include <string>

namespace sovgw::policy {
namespace {

bool check(Validator v, std::string_view raw, int current_year = 2026) {
  std::string compact;
  compact_into(raw, compact);
  return v(Candidate{raw, compact, current_year});
}

}  // namespace

TEST_CASE("compact_into folds full-width digits and drops separators") {
  std::string out;
  compact_into("９００１０１－１２３４５６７", out);
  CHECK(out == "9001011234567");
  compact_into("DE89 3704-0044.0532", out);
  CHECK(out == "DE89370400440532");
  compact_into("가나다", out);
  CHECK(out.empty());
}

TEST_CASE("generic checks") {
  CHECK(luhn_ok("4111111111111111"));
  CHECK_FALSE(luhn_ok("4111111111111112"));
  CHECK_FALSE(luhn_ok("41x1"));
  CHECK(mod97_ok("GB29NWBK60161331926819"));
  CHECK(mod97_ok("gb29nwbk60161331926819"));
  CHECK_FALSE(mod97_ok("GB28NWBK60161331926819"));
  CHECK(iso7064_mod11_2_ok("11010519491231002X"));
  CHECK(iso7064_mod11_2_ok("11010519491231002x"));
  CHECK_FALSE(iso7064_mod11_2_ok("110105194912310021"));
  CHECK(date_ok(2000, 2, 29));
  CHECK_FALSE(date_ok(1900, 2, 29));
  CHECK_FALSE(date_ok(2023, 4, 31));
  CHECK_FALSE(date_ok(2023, 0, 1));
}

TEST_CASE("kr_rrn: checksum, or new-scheme date, or canonical hyphen form") {
  CHECK(check(validate_kr_rrn, "9001011234568"));               // checksum holds
  CHECK_FALSE(check(validate_kr_rrn, "9001011234567"));         // bare, bad checksum, issued before 2020-10
  CHECK(check(validate_kr_rrn, "900101-1234567"));              // hyphen form: checksum not required
  CHECK(check(validate_kr_rrn, "900101－1234567"));             // full-width hyphen too
  CHECK_FALSE(check(validate_kr_rrn, "900101 1234567"));        // a space is not the canonical form
  CHECK(check(validate_kr_rrn, "2010013000000"));               // born 2020-10-01: no checksum exists
  CHECK_FALSE(check(validate_kr_rrn, "2009303000000"));         // born 2020-09-30: checksum required
  CHECK_FALSE(check(validate_kr_rrn, "9912310876543"));         // gender 0: born 1899, valid checksum
  CHECK_FALSE(check(validate_kr_rrn, "9912319876548"));         // gender 9: born 1899, valid checksum
  CHECK(check(validate_kr_rrn, "260101-3000000", 2026));        // born this year
  CHECK_FALSE(check(validate_kr_rrn, "270101-3000000", 2026));  // born next year
  CHECK(check(validate_kr_rrn, "270101-3000000", 0));           // no year given: no future check
  CHECK_FALSE(check(validate_kr_rrn, "900101-5123467"));        // foreigner digit
  CHECK_FALSE(check(validate_kr_rrn, "900132-1234567"));        // day 32
  CHECK(check(validate_kr_frn, "9001015123467"));
  CHECK_FALSE(check(validate_kr_frn, "9001015123468"));
  CHECK(check(validate_kr_frn, "210101-7000000"));
}

TEST_CASE("national numbers") {
  CHECK(check(validate_kr_brn, "123-45-67891"));
  CHECK_FALSE(check(validate_kr_brn, "123-45-67892"));
  CHECK(check(validate_jp_my_number, "123456789018"));
  CHECK_FALSE(check(validate_jp_my_number, "123456789019"));
  CHECK(check(validate_jp_corporate_number, "8700110005901"));
  CHECK_FALSE(check(validate_jp_corporate_number, "7700110005901"));
  CHECK(check(validate_cn_resident_id, "440304199001011233"));
  CHECK_FALSE(check(validate_cn_resident_id, "940304199001011233"));  // no region starts with 9
  CHECK(check(validate_us_ssn, "078-05-1120"));
  CHECK_FALSE(check(validate_us_ssn, "666-05-1120"));
  CHECK(check(validate_kr_phone, "+82 10-1234-5678"));
  CHECK(check(validate_kr_phone, "+82 010-1234-5678"));
  CHECK_FALSE(check(validate_kr_phone, "010-123-4567"));
  CHECK(check(validate_jp_phone, "+81 3-1234-5678"));
  CHECK_FALSE(check(validate_jp_phone, "00-1234-5678"));
}

TEST_CASE("network and secret shapes") {
  CHECK(check(validate_credit_card, "378282246310005"));
  CHECK_FALSE(check(validate_credit_card, "37828224631000"));  // Amex must be 15 digits
  CHECK(check(validate_iban, "FR14 2004 1010 0505 0001 3M02 606"));
  CHECK(check(validate_email, "a.b@example.com"));
  CHECK_FALSE(check(validate_email, ".ab@example.com"));
  CHECK_FALSE(check(validate_email, "ab@-example.com"));
  CHECK(check(validate_ipv4, "0.0.0.0"));
  CHECK_FALSE(check(validate_ipv4, "1.2.3.1000"));
  CHECK(check(validate_ipv6, "::ffff:1.2.3.4") == true);
  CHECK_FALSE(check(validate_ipv6, "::"));
  CHECK(check(validate_api_key, "Zx9K2mQ7vB4nR8tW1yL5pA3s"));
  CHECK_FALSE(check(validate_api_key, "abcdefghijklmnopqrstuvwx"));
}

TEST_CASE("find_validator knows the documented names and nothing else") {
  for (const char* name :
       {"", "none", "luhn", "mod97", "mod11-2", "kr_rrn", "kr_frn", "kr_brn", "jp_my_number", "jp_corporate_number",
        "cn_resident_id", "us_ssn", "credit_card", "iban", "email", "ipv4", "ipv6"}) {
    CAPTURE(std::string(name));
    CHECK((find_validator(name) != nullptr));
  }
  CHECK((find_validator("crc32") == nullptr));
  CHECK((find_validator("LUHN") == nullptr));
}

}  // namespace sovgw::policy

namespace sovgw::policy {

// The scanner builds no compact form for these (reads_compact): their verdict must not depend on it.
TEST_CASE("validators that skip the compact form judge the raw bytes alone") {
  struct Case {
    Validator v;
    const char* raw;
  };
  const Case cases[] = {
      {validate_any, "anything"},
      {validate_email, "kim@example.com"},
      {validate_email, "a..b@example.com"},
      {validate_ipv4, "192.168.10.24"},
      {validate_ipv4, "256.1.1.1"},
      {validate_ipv6, "2001:db8::1"},
      {validate_ipv6, "12:30:45"},
      {validate_api_key, "Zx9K2mQ7vB4nR8tW1yL5pA3s"},
      {validate_api_key, "abcdefghijklmnopqrstuvwx"},
  };
  for (const Case& c : cases) {
    CAPTURE(std::string(c.raw));
    CHECK_FALSE(reads_compact(c.v));
    std::string compact;
    compact_into(c.raw, compact);
    CHECK(c.v(Candidate{c.raw, compact, 2026}) == c.v(Candidate{c.raw, "", 2026}));
  }
  for (Validator v : {validate_luhn, validate_mod97, validate_kr_rrn, validate_credit_card, validate_iban})
    CHECK(reads_compact(v));
}

}  // namespace sovgw::policy

namespace sovgw::policy {

// Numeric validators test their compact form eight bytes at a time: a non-digit anywhere, including
// the bytes next to '0'..'9' and bytes that carry when added to, must fail.
TEST_CASE("a numeric candidate with one non-digit byte anywhere is rejected") {
  for (std::size_t len = 10; len <= 14; ++len) {
    CHECK(validate_kr_bank_account(Candidate{std::string(len, '0'), std::string(len, '0'), 0}));
    CHECK(validate_kr_bank_account(Candidate{std::string(len, '9'), std::string(len, '9'), 0}));
    for (std::size_t at = 0; at < len; ++at) {
      for (const char bad : {'/', ':', 'a', ' ', '\x00', '\xFA', '\xFF', '\x3F', '\x40'}) {
        std::string d(len, '5');
        d[at] = bad;
        CAPTURE(len);
        CAPTURE(at);
        CAPTURE(static_cast<int>(static_cast<unsigned char>(bad)));
        CHECK_FALSE(validate_kr_bank_account(Candidate{d, d, 0}));
      }
    }
  }
}

}  // namespace sovgw::policy
