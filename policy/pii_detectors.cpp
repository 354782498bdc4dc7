// Built-in detector table: group shapes for the numeric detectors, patterns and locators for
// the rest. Digit runs are found with full-width digits (U+FF10..U+FF19) and the usual
// separators as they are (numeric_run.cpp), so the text is never rewritten before the scan:
// normalisation happens only for the bytes of each candidate, when its compact form is built.
#include "policy/pii_detectors.hpp"

#include <algorithm>
#include <initializer_list>

#include "policy/pii_locators.hpp"

namespace sovgw::policy {
namespace {

// Group boundaries of `l` must fall on block boundaries of `blocks` (all of them when
// `required`); `dash_or_space` rejects '.' separators.
bool fits(const NumericLayout& l, std::initializer_list<int> blocks, bool required, bool dash_or_space = false) {
  int sum = 0;
  for (int b : blocks) sum += b;
  if (l.total != sum || l.plus) return false;
  if (required && l.n != static_cast<int>(blocks.size())) return false;
  int at = 0;
  auto block = blocks.begin();
  int block_end = *block;
  for (int i = 0; i + 1 < l.n; ++i) {
    at += l.groups[i];
    while (block_end < at) block_end += *++block;
    if (block_end != at) return false;
    if (dash_or_space && l.seps[i] == SepKind::kDot) return false;
  }
  return true;
}

bool single(const NumericLayout& l, int digits) { return l.n == 1 && l.total == digits && !l.plus; }

bool rrn_shape(const NumericLayout& l) { return fits(l, {6, 7}, false); }
bool brn_shape(const NumericLayout& l) { return fits(l, {3, 2, 5}, true); }
bool brn_bare_shape(const NumericLayout& l) { return single(l, 10); }
bool driver_license_shape(const NumericLayout& l) { return fits(l, {2, 2, 6, 2}, true, true); }
bool driver_license_named_shape(const NumericLayout& l) { return fits(l, {2, 6, 2}, true, true); }
bool my_number_shape(const NumericLayout& l) { return fits(l, {4, 4, 4}, true); }
bool my_number_bare_shape(const NumericLayout& l) { return single(l, 12); }
bool corporate_number_shape(const NumericLayout& l) { return fits(l, {1, 4, 4, 4}, false); }
bool cn_resident_id_shape(const NumericLayout& l) { return single(l, 18); }
bool ssn_shape(const NumericLayout& l) { return fits(l, {3, 2, 4}, true, true); }
bool ssn_bare_shape(const NumericLayout& l) { return single(l, 9); }
bool card_shape(const NumericLayout& l) { return !l.plus && l.total >= 13 && l.total <= 19; }

// Written as one block, or in groups of at most 4 digits ending in 4 (010-1234-5678,
// +82 10 1234 5678); the validators check prefixes and lengths.
bool phone_groups(const NumericLayout& l, int max_first) {
  if (l.n == 1) return true;
  if (l.groups[l.n - 1] != 4 || l.n > (l.plus ? 4 : 3)) return false;
  for (int i = 0; i < l.n; ++i) {
    if (l.groups[i] > (i == 0 ? max_first : 4)) return false;
  }
  return true;
}
// Korean area codes are three digits (031, 051, ...) except Seoul's 02: "03-1234-5678" is Japanese.
bool kr_phone_shape(const NumericLayout& l) {
  if (!l.plus && l.n > 1 && l.groups[0] == 2 && l.compact.substr(0, 2) != "02") return false;
  return phone_groups(l, 4);
}
// Japanese landlines (10 digits) are only taken with separators: bare 10-digit numbers abound.
bool jp_phone_shape(const NumericLayout& l) {
  return phone_groups(l, 5) && (l.total == 11 || l.n >= 3 || (l.plus && l.n >= 2));
}

bool bank_account_shape(const NumericLayout& l) {
  if (l.plus || l.total < 10 || l.total > 14 || l.n > 4) return false;
  if (l.n == 1) return true;
  for (int i = 0; i < l.n; ++i) {
    if (l.groups[i] < 2 || l.groups[i] > (i == 0 ? 6 : 7)) return false;
  }
  return true;
}

// Bits lo..hi: the digit totals a shape may accept (see DetectorSpec::digit_totals; the scanner
// asks about 9 to 19 digits).
constexpr std::uint32_t totals(int lo, int hi) { return ((2u << hi) - 1) & ~((1u << lo) - 1); }
constexpr std::uint32_t totals(int n) { return totals(n, n); }

DetectorSpec numeric(std::string id, NumericShape shape, std::uint32_t digit_totals, Validator v,
                     std::vector<std::string> context = {}) {
  DetectorSpec s;
  s.id = std::move(id);
  s.shape = shape;
  s.digit_totals = digit_totals;
  s.validator = v;
  s.context_words = std::move(context);
  return s;
}

DetectorSpec located(std::string id, std::string regex, Locator loc, Validator v, Boundary b,
                     RunTrigger trigger = nullptr) {
  DetectorSpec s;
  s.id = std::move(id);
  s.regex = std::move(regex);
  s.locate = loc;
  s.run_trigger = trigger;
  s.validator = v;
  s.boundary = b;
  return s;
}

// The regions a driver's licence may name in Hangul instead of a numeric code (서울 98-123456-12).
const std::vector<std::string> kLicenceRegions = {"서울", "부산", "경기", "강원", "충북", "충남", "전북", "전남",
                                                  "경북", "경남", "제주", "대구", "인천", "광주", "대전", "울산"};

const std::vector<std::string> kBankWords = {"계좌", "통장",    "은행", "입금", "송금",
                                             "이체", "account", "bank", "口座", "銀行"};

std::vector<DetectorSpec> secrets() {
  return {
      located("aws_access_key", "(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}", locators::fixed20, validate_any,
              Boundary::kWord),
      located("private_key", "-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----", locators::pem_block, validate_any,
              Boundary::kNone),
      located("github_token", "gh[pousr]_[A-Za-z0-9]{36}", locators::github_classic, validate_any, Boundary::kWord),
      located("github_token", "github_pat_[A-Za-z0-9_]{22}", locators::github_fine_grained, validate_any,
              Boundary::kWord),
      located("openai_key", "sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\\-]{20}", locators::openai_key, validate_api_key,
              Boundary::kWord),
      located("jwt", "eyJ[A-Za-z0-9_\\-]{5,}\\.eyJ[A-Za-z0-9_\\-]{5,}\\.", locators::jwt, validate_any,
              Boundary::kWord),
  };
}

std::vector<DetectorSpec> national_ids() {
  return {
      numeric("kr_rrn", rrn_shape, totals(13), validate_kr_rrn),
      numeric("kr_frn", rrn_shape, totals(13), validate_kr_frn),
      numeric("kr_brn", brn_shape, totals(10), validate_kr_brn),
      // Bare, the checksum passes one random 10-digit number in ten (waybills, order numbers).
      numeric("kr_brn", brn_bare_shape, totals(10), validate_kr_brn,
              {"사업자", "등록번호", "business registration", "brn", "事業者"}),
      numeric("kr_driver_license", driver_license_shape, totals(12), validate_kr_driver_license),
      // The older form: a Hangul region name, then YY-NNNNNN-NN. A 2-6-2 number alone is anything,
      // so the region name is a required context word.
      numeric("kr_driver_license", driver_license_named_shape, totals(10), validate_kr_driver_license_named,
              kLicenceRegions),
      numeric("jp_my_number", my_number_shape, totals(12), validate_jp_my_number),
      // Bare, the check digit passes one random 12-digit number in eleven (tracking numbers).
      numeric("jp_my_number", my_number_bare_shape, totals(12), validate_jp_my_number,
              {"マイナンバー", "個人番号", "my number", "mynumber", "마이넘버"}),
      // One random number in nine passes and 13-digit numbers (EAN barcodes) are everywhere.
      numeric("jp_corporate_number", corporate_number_shape, totals(13), validate_jp_corporate_number,
              {"法人番号", "法人", "corporate number", "corporate no"}),
      [] {
        DetectorSpec s = numeric("cn_resident_id", cn_resident_id_shape, totals(18), validate_cn_resident_id);
        s.x_suffix = true;
        return s;
      }(),
      numeric("us_ssn", ssn_shape, totals(9), validate_us_ssn),
      numeric("us_ssn", ssn_bare_shape, totals(9), validate_us_ssn, {"ssn", "social security"}),
  };
}

std::vector<DetectorSpec> contact_and_finance() {
  return {
      numeric("credit_card", card_shape, totals(13, 19), validate_credit_card),
      numeric("kr_phone", kr_phone_shape, totals(9, 19), validate_kr_phone),
      numeric("jp_phone", jp_phone_shape, totals(9, 17), validate_jp_phone),
      numeric("kr_bank_account", bank_account_shape, totals(10, 14), validate_kr_bank_account, kBankWords),
      located("iban", "[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11}", locators::iban, validate_iban, Boundary::kWord,
              locators::iban_start),
      located("email", "@[A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)*\\.[A-Za-z]{2}", locators::email, validate_email,
              Boundary::kEmail),
      located("ipv4", "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}", locators::ipv4, validate_ipv4,
              Boundary::kIp, locators::ipv4_windows),
      located("ipv6", "[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}", locators::ipv6, validate_ipv6, Boundary::kIp),
      // Passport numbers are only taken after a passport keyword (part of the pattern, so
      // Hyperscan looks for a literal first): letter+digit codes are everywhere in business text.
      located("kr_passport", "(?i:passport|여권)[^\\n]{0,24}[MSRGD](?:[0-9]{8}|[0-9]{3}[A-Z][0-9]{4})",
              locators::fixed9, validate_any, Boundary::kEdges),
      located("jp_passport", "(?i:passport|旅券|パスポート|여권)[^\\n]{0,24}[A-Z]{2}[0-9]{7}", locators::fixed9,
              validate_any, Boundary::kEdges),
  };
}

// The keyword is part of the pattern (a literal Hyperscan can look for fast); the finding is the
// token after it.
DetectorSpec generic_api_key() {
  return located("generic_api_key",
                 "(?i:api[_\\- ]?key|secret|token|access[_\\- ]?key|bearer|password|passwd|credential|"
                 "비밀번호|토큰|시크릿|api ?키|トークン|パスワード|シークレット)"
                 "[^A-Za-z0-9\\n]{0,12}[A-Za-z0-9_+/\\-]{20}",
                 locators::keyword_token, validate_api_key, Boundary::kWord);
}

}  // namespace

const std::vector<DetectorSpec>& builtin_detectors() {
  // Priority order, most specific first: secrets with fixed prefixes; checksummed national ids
  // (kr_rrn before kr_frn: same shape, disjoint gender digits); cards before phones and bank
  // accounts, which accept looser shapes; generic_api_key last.
  static const std::vector<DetectorSpec> kTable = [] {
    std::vector<DetectorSpec> all;
    for (auto part : {secrets(), national_ids(), contact_and_finance()}) {
      for (DetectorSpec& s : part) all.push_back(std::move(s));
    }
    all.push_back(generic_api_key());
    return all;
  }();
  return kTable;
}

std::vector<std::string> builtin_detector_ids() {
  std::vector<std::string> ids;
  for (const DetectorSpec& s : builtin_detectors()) {
    if (std::find(ids.begin(), ids.end(), s.id) == ids.end()) ids.push_back(s.id);
  }
  return ids;
}

}  // namespace sovgw::policy
