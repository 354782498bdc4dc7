// Validators that confirm a Hyperscan hit before it counts as a PII finding (checksums, dates,
// number ranges). Each takes the hit's original bytes and its compact form (ASCII digits and
// letters only, full-width digits folded, separators dropped). Pure functions, thread-safe.
//
//   Candidate c{"4111-1111-1111-1111", "4111111111111111"};
//   bool ok = validate_credit_card(c);   // IIN range + Luhn
#pragma once

#include <string>
#include <string_view>

namespace sovgw::policy {

struct Candidate {
  std::string_view raw;      // the matched bytes of the original text
  std::string_view compact;  // ASCII [0-9A-Za-z] of raw, full-width digits folded to ASCII
  int current_year = 0;      // birth dates after this year are impossible; 0 = no such check
};

using Validator = bool (*)(const Candidate&);

// Appends the compact form of raw to out (cleared first): ASCII letters and digits are kept,
// full-width digits U+FF10..U+FF19 become ASCII digits, every other byte is dropped.
void compact_into(std::string_view raw, std::string& out);

// Validators by the names operators use for custom detectors: "luhn", "mod97", "mod11-2", plus
// every built-in detector id that has a checksum ("kr_rrn", "jp_my_number", ...). Returns nullptr
// for an unknown name; "" and "none" are accepted as "no validator" (validate_any).
Validator find_validator(std::string_view name);

// False for the validators that read only Candidate::raw (validate_any, e-mail, IP addresses, API
// keys): the scanner then skips building the compact form.
bool reads_compact(Validator v);

// Generic checks over compact digits.
bool luhn_ok(std::string_view digits);
bool mod97_ok(std::string_view iban);          // ISO 13616: letters as 10..35, remainder 1
bool iso7064_mod11_2_ok(std::string_view id);  // last char is the check (0-9 or X)
bool date_ok(int year, int month, int day);

bool validate_any(const Candidate& c);
bool validate_luhn(const Candidate& c);
bool validate_mod97(const Candidate& c);
bool validate_mod11_2(const Candidate& c);
bool validate_kr_rrn(const Candidate& c);
bool validate_kr_frn(const Candidate& c);
bool validate_kr_brn(const Candidate& c);
bool validate_kr_driver_license(const Candidate& c);
bool validate_kr_driver_license_named(const Candidate& c);  // the 10 digits after a region name
bool validate_kr_phone(const Candidate& c);
bool validate_kr_bank_account(const Candidate& c);
bool validate_jp_my_number(const Candidate& c);
bool validate_jp_corporate_number(const Candidate& c);
bool validate_jp_phone(const Candidate& c);
bool validate_cn_resident_id(const Candidate& c);
bool validate_us_ssn(const Candidate& c);
bool validate_credit_card(const Candidate& c);
bool validate_iban(const Candidate& c);
bool validate_email(const Candidate& c);
bool validate_ipv4(const Candidate& c);
bool validate_ipv6(const Candidate& c);
bool validate_api_key(const Candidate& c);

}  // namespace sovgw::policy
