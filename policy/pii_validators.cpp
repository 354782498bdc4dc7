// Checksum, date and range validators for the national identifiers and generic checks.
// Network and secret validators live in pii_validators_net.cpp.
#include "policy/pii_validators.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace sovgw::policy {
namespace {

int digit(char c) { return c - '0'; }

// Eight bytes at a time (every numeric validator asks this of 9 to 19 bytes): a byte is an ASCII
// digit when its high nibble is 3 and stays 3 after adding 6. A byte that carries into the next
// one has a high nibble above 3 and fails the first test.
bool eight_digits(const char* p) {
  std::uint64_t x;
  std::memcpy(&x, p, 8);
  constexpr std::uint64_t kHigh = 0xF0F0F0F0F0F0F0F0, kThrees = 0x3030303030303030, kSixes = 0x0606060606060606;
  return (x & kHigh) == kThrees && ((x + kSixes) & kHigh) == kThrees;
}

bool all_digits(std::string_view s) {
  if (s.size() < 8) {
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return !s.empty();
  }
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    if (!eight_digits(s.data() + i)) return false;
  }
  return i == s.size() || eight_digits(s.data() + s.size() - 8);  // the tail, overlapping
}

int two(std::string_view s, std::size_t at) { return digit(s[at]) * 10 + digit(s[at + 1]); }

// One pass: find("\xEF\xBC\x8D") would stop at every full-width digit (they share the lead byte).
bool raw_has_hyphen(std::string_view raw) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '-') return true;
    if (raw[i] == '\xEF' && i + 2 < raw.size() && raw[i + 1] == '\xBC' && raw[i + 2] == '\x8D') return true;
  }
  return false;
}

// Korean resident (citizen and foreigner) numbers: YYMMDD-GNNNNNN. The gender digit G gives the
// century; `foreign` selects G in 5..8 (외국인등록번호) instead of 1..4 (주민등록번호). The 1800s
// digits 9 and 0 are rejected: nobody born then is alive, and they would double the false
// positives among bare 13-digit numbers. Birth dates after the current year are rejected too.
//
// Checksum decision: numbers issued since 2020-10-01 have random last digits and no checksum.
// A number counts when its date and gender digit are valid AND one of:
//   - the checksum holds (every number issued before the change, most numbers in use);
//   - the birth date is on or after 2020-10-01 (all of those were issued in the new scheme);
//   - it is written in the canonical form with a hyphen (YYMMDD-GNNNNNN): the format is strong
//     evidence by itself, and this covers numbers re-issued in the new scheme to older people.
// So a bare 13-digit run with a pre-2020-10 date and a wrong checksum is not reported (order
// numbers, barcodes), while anything that looks like an RRN as people write it is (fail closed).
bool resident_number_ok(const Candidate& c, bool foreign) {
  const std::string_view d = c.compact;
  if (d.size() != 13) return false;
  const int g = digit(d[6]);  // first: it tells citizens from foreigners, and kr_frn runs after kr_rrn
  int century = 0;
  if (!foreign && (g == 1 || g == 2)) century = 1900;
  if (!foreign && (g == 3 || g == 4)) century = 2000;
  if (foreign && (g == 5 || g == 6)) century = 1900;
  if (foreign && (g == 7 || g == 8)) century = 2000;
  if (century == 0 || !all_digits(d)) return false;
  const int year = century + two(d, 0), month = two(d, 2), day = two(d, 4);
  if (!date_ok(year, month, day) || (c.current_year > 0 && year > c.current_year)) return false;
  static constexpr std::array<int, 12> kWeights{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
  int sum = 0;
  for (std::size_t i = 0; i < 12; ++i) sum += digit(d[i]) * kWeights[i];
  const int check = ((foreign ? 13 : 11) - sum % 11) % 10;
  if (check == digit(d[12])) return true;
  const bool new_scheme = year * 10000 + month * 100 + day >= 20201001;
  return new_scheme || raw_has_hyphen(c.raw);
}

// Normalises +82 / +81 international prefixes to the domestic leading 0 (only when written
// with the '+': a bare number starting 82 is not international).
std::string_view national(const Candidate& c, std::string_view country, std::string& buf) {
  const std::string_view d = c.compact;
  if (c.raw.empty() || c.raw[0] != '+' || d.substr(0, country.size()) != country) return d;
  const std::string_view rest = d.substr(country.size());
  buf.clear();
  if (rest.empty() || rest[0] != '0') buf.push_back('0');  // "+82 010-..." keeps its own leading 0
  buf.append(rest);
  return buf;
}

}  // namespace

void compact_into(std::string_view raw, std::string& out) {
  out.resize(raw.size());  // never longer than raw; written by index (push_back is not inlined)
  std::size_t n = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto b = static_cast<unsigned char>(raw[i]);
    if ((b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z')) {
      out[n++] = static_cast<char>(b);
    } else if (b == 0xEF && i + 2 < raw.size() && static_cast<unsigned char>(raw[i + 1]) == 0xBC) {
      const auto t = static_cast<unsigned char>(raw[i + 2]);
      if (t >= 0x90 && t <= 0x99) {
        out[n++] = static_cast<char>('0' + (t - 0x90));
        i += 2;
      }
    }
  }
  out.resize(n);
}

bool date_ok(int year, int month, int day) {
  static constexpr std::array<int, 12> kDays{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

bool luhn_ok(std::string_view digits) {
  if (!all_digits(digits)) return false;
  int sum = 0;
  bool dbl = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int v = digit(*it);
    if (dbl && (v *= 2) > 9) v -= 9;
    sum += v;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

// The number is accumulated in 64 bits and reduced only when it grows large: a reduction per
// character made one long dependency chain of multiplications (5% of dense-PII scans).
bool mod97_ok(std::string_view iban) {
  if (iban.size() < 5) return false;
  std::uint64_t rem = 0;
  auto feed = [&rem](char ch) {
    if (ch >= '0' && ch <= '9') {
      rem = rem * 10 + static_cast<std::uint64_t>(ch - '0');
    } else {
      if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
      if (ch < 'A' || ch > 'Z') return false;
      rem = rem * 100 + static_cast<std::uint64_t>(ch - 'A' + 10);
    }
    if (rem >= (std::uint64_t{1} << 56)) rem %= 97;  // below 2^56 * 100 + 35 < 2^64 next time
    return true;
  };
  for (char ch : iban.substr(4)) {
    if (!feed(ch)) return false;
  }
  for (char ch : iban.substr(0, 4)) {
    if (!feed(ch)) return false;
  }
  return rem % 97 == 1;
}

bool iso7064_mod11_2_ok(std::string_view id) {
  if (id.size() < 2 || !all_digits(id.substr(0, id.size() - 1))) return false;
  int sum = 0;
  for (char ch : id.substr(0, id.size() - 1)) sum = (sum + digit(ch)) * 2 % 11;
  const int check = (12 - sum % 11) % 11;
  const char last = id.back();
  return check == 10 ? (last == 'X' || last == 'x') : last == '0' + check;
}

bool validate_any(const Candidate&) { return true; }
bool validate_luhn(const Candidate& c) { return c.compact.size() >= 2 && luhn_ok(c.compact); }
bool validate_mod97(const Candidate& c) { return mod97_ok(c.compact); }
bool validate_mod11_2(const Candidate& c) { return iso7064_mod11_2_ok(c.compact); }
bool validate_kr_rrn(const Candidate& c) { return resident_number_ok(c, false); }
bool validate_kr_frn(const Candidate& c) { return resident_number_ok(c, true); }

bool validate_kr_brn(const Candidate& c) {
  const std::string_view d = c.compact;
  if (d.size() != 10 || !all_digits(d)) return false;
  static constexpr std::array<int, 9> kWeights{1, 3, 7, 1, 3, 7, 1, 3, 5};
  int sum = 0;
  for (std::size_t i = 0; i < 9; ++i) sum += digit(d[i]) * kWeights[i];
  sum += digit(d[8]) * 5 / 10;
  return (10 - sum % 10) % 10 == digit(d[9]);
}

// NN-YY-NNNNNN-NN: the first pair is a regional code (11..28) in the numeric format.
bool validate_kr_driver_license(const Candidate& c) {
  const std::string_view d = c.compact;
  if (d.size() != 12 || !all_digits(d)) return false;
  const int region = two(d, 0);
  return region >= 11 && region <= 28;
}

// YY-NNNNNN-NN after a Hangul region name (the name is the detector's context word): the digits
// carry no check that can be verified, so the shape and the name decide.
bool validate_kr_driver_license_named(const Candidate& c) { return c.compact.size() == 10 && all_digits(c.compact); }

bool validate_kr_phone(const Candidate& c) {
  std::string buf;
  const std::string_view d = national(c, "82", buf);
  if (!all_digits(d) || d.size() < 9 || d.size() > 11 || d[0] != '0') return false;
  if (d.substr(0, 3) == "010") return d.size() == 11;
  if (d[1] == '1') return d.size() >= 10;  // 011, 016..019: older 10/11-digit mobile numbers
  if (d[1] == '2') return d.size() <= 10;  // Seoul: 02 + 7 or 8 digits
  if (d.substr(0, 3) == "070") return d.size() == 11;
  return d[1] >= '3' && d[1] <= '6' && d[2] >= '1' && d[2] <= '5' && d.size() >= 10;
}

bool validate_kr_bank_account(const Candidate& c) {
  return all_digits(c.compact) && c.compact.size() >= 10 && c.compact.size() <= 14;
}

// 個人番号: 11 digits and a check digit (Ministry of Internal Affairs ordinance, art. 5).
bool validate_jp_my_number(const Candidate& c) {
  const std::string_view d = c.compact;
  if (d.size() != 12 || !all_digits(d)) return false;
  // Digit n from the right (n = 1..11) weighs n + 1 up to n = 6, then n - 5.
  static constexpr std::array<int, 11> kWeights{6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
  int sum = 0;
  for (std::size_t i = 0; i < 11; ++i) sum += digit(d[i]) * kWeights[i];
  const int r = sum % 11;
  return (r <= 1 ? 0 : 11 - r) == digit(d[11]);
}

// 法人番号: the FIRST digit checks the 12-digit base.
bool validate_jp_corporate_number(const Candidate& c) {
  const std::string_view d = c.compact;
  if (d.size() != 13 || !all_digits(d)) return false;
  int sum = 0;
  for (int n = 1; n <= 12; ++n) sum += digit(d[static_cast<std::size_t>(13 - n)]) * (n % 2 == 1 ? 1 : 2);
  return 9 - sum % 9 == digit(d[0]);
}

bool validate_jp_phone(const Candidate& c) {
  std::string buf;
  const std::string_view d = national(c, "81", buf);
  if (!all_digits(d) || d[0] != '0' || d.size() < 10 || d.size() > 11) return false;
  const bool mobile = d[2] == '0' && (d[1] == '5' || d[1] == '7' || d[1] == '8' || d[1] == '9');
  return mobile ? d.size() == 11 : d.size() == 10 && d[1] != '0';
}

// 18 chars: 6-digit region, YYYYMMDD, 3-digit sequence, ISO 7064 MOD 11-2 check (0-9 or X).
bool validate_cn_resident_id(const Candidate& c) {
  const std::string_view d = c.compact;
  if (d.size() != 18 || !all_digits(d.substr(0, 17)) || d[0] < '1' || d[0] > '8') return false;
  const int year = two(d, 6) * 100 + two(d, 8);
  if (year < 1900 || year > 2099 || !date_ok(year, two(d, 10), two(d, 12))) return false;
  return iso7064_mod11_2_ok(d);
}

// Area 000, 666 and 900-999, group 00 and serial 0000 are never issued.
bool validate_us_ssn(const Candidate& c) {
  const std::string_view d = c.compact;
  if (d.size() != 9 || !all_digits(d)) return false;
  const int area = digit(d[0]) * 100 + two(d, 1);
  if (area == 0 || area == 666 || area >= 900) return false;
  return two(d, 3) != 0 && d.substr(5) != "0000";
}

Validator find_validator(std::string_view name) {
  struct Entry {
    std::string_view name;
    Validator fn;
  };
  static constexpr std::array<Entry, 17> kTable{{
      {"", validate_any},
      {"none", validate_any},
      {"luhn", validate_luhn},
      {"mod97", validate_mod97},
      {"mod11-2", validate_mod11_2},
      {"kr_rrn", validate_kr_rrn},
      {"kr_frn", validate_kr_frn},
      {"kr_brn", validate_kr_brn},
      {"jp_my_number", validate_jp_my_number},
      {"jp_corporate_number", validate_jp_corporate_number},
      {"cn_resident_id", validate_cn_resident_id},
      {"us_ssn", validate_us_ssn},
      {"credit_card", validate_credit_card},
      {"iban", validate_iban},
      {"email", validate_email},
      {"ipv4", validate_ipv4},
      {"ipv6", validate_ipv6},
  }};
  for (const Entry& e : kTable) {
    if (e.name == name) return e.fn;
  }
  return nullptr;
}

}  // namespace sovgw::policy
