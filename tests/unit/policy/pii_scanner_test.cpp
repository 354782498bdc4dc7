// PiiScanner: per detector, values that must be found (in context sentences, Korean and Japanese
// text, full-width digits, separators) and near misses that must not (bad checksums, impossible
// dates, wrong lengths, missing context). Offsets must point into the original text.
#include "policy/pii_scanner.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace sovgw::policy {
namespace {

const PiiScanner& scanner() {
  static const std::shared_ptr<const PiiScanner> s = [] {
    auto r = PiiScanner::create({});
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().detail));
    return *r;
  }();
  return *s;
}

std::vector<PiiFinding> scan(std::string_view text) {
  static ScanScratch scratch;
  auto found = scanner().scan(text, scratch);
  REQUIRE(found.ok());
  return *found;
}

struct Hit {
  const char* detector;
  const char* text;
  const char* value;  // the exact bytes that must be reported
};

struct Miss {
  const char* detector;
  const char* text;
};

const Hit kHits[] = {
    {"kr_rrn", "주민등록번호: 900101-1234568 입니다.", "900101-1234568"},
    {"kr_rrn", "RRN 9001011234568.", "9001011234568"},
    {"kr_rrn", "번호는 850615 2345674 이고", "850615 2345674"},
    {"kr_rrn", "주민번호 ９００１０１－１２３４５６７ 확인", "９００１０１－１２３４５６７"},
    {"kr_rrn", "hyphen form, checksum not required: 900101-1234567", "900101-1234567"},
    {"kr_rrn", "2020년 10월 이후 출생 2101013123450", "2101013123450"},
    {"kr_rrn", "윤년 000229-4123457", "000229-4123457"},
    {"kr_rrn", "韓国の住民登録番号は850615-2345674です", "850615-2345674"},
    {"kr_frn", "외국인등록번호 900101-5123467", "900101-5123467"},
    {"kr_frn", "ARC 0505057654324", "0505057654324"},
    {"kr_brn", "사업자등록번호 123-45-67891 (주)테스트", "123-45-67891"},
    {"kr_brn", "사업자번호:2208112341", "2208112341"},
    {"kr_passport", "여권번호 M12345678 입니다", "M12345678"},
    {"kr_passport", "passport no. M123A4567", "M123A4567"},
    {"kr_driver_license", "운전면허번호 11-23-123456-01", "11-23-123456-01"},
    {"kr_driver_license", "면허 28 99 654321 12 입니다", "28 99 654321 12"},
    {"kr_driver_license", "운전면허 서울 98-123456-12", "98-123456-12"},
    {"kr_driver_license", "면허번호: 경기 05 654321 90 입니다", "05 654321 90"},
    {"kr_phone", "연락처 010-1234-5678 로 연락주세요", "010-1234-5678"},
    {"kr_phone", "휴대폰 010 1234 5678", "010 1234 5678"},
    {"kr_phone", "call 01012345678 now", "01012345678"},
    {"kr_phone", "intl +82 10-1234-5678", "+82 10-1234-5678"},
    {"kr_phone", "서울 02-123-4567", "02-123-4567"},
    {"kr_phone", "경기 031-123-4567", "031-123-4567"},
    {"kr_phone", "전화 ０１０－１２３４－５６７８ 입니다", "０１０－１２３４－５６７８"},
    {"kr_phone", "번호는 010.1234.5678", "010.1234.5678"},
    // Regression: an ASCII digit three bytes before a hit was read as a full-width digit.
    {"kr_phone", "(1234568) 010-1234-5678", "010-1234-5678"},
    {"kr_bank_account", "신한은행 계좌 110-123-456789로 입금해 주세요", "110-123-456789"},
    {"kr_bank_account", "계좌번호: 1002-123-456789", "1002-123-456789"},
    {"kr_bank_account", "bank account 12345678901234", "12345678901234"},
    {"jp_my_number", "マイナンバー 1234 5678 9018 を提出", "1234 5678 9018"},
    {"jp_my_number", "個人番号：123456789018", "123456789018"},
    {"jp_my_number", "個人番号は１２３４５６７８９０１８です", "１２３４５６７８９０１８"},
    {"jp_my_number", "my number 9876-5432-1093", "9876-5432-1093"},
    {"jp_corporate_number", "法人番号 9234567890123", "9234567890123"},
    {"jp_corporate_number", "法人番号：8700110005901 株式会社", "8700110005901"},
    {"jp_phone", "電話 090-1234-5678 まで", "090-1234-5678"},
    {"jp_phone", "本社 03-1234-5678", "03-1234-5678"},
    {"jp_phone", "intl +81 90-1234-5678", "+81 90-1234-5678"},
    {"jp_phone", "携帯 ０９０－１２３４－５６７８", "０９０－１２３４－５６７８"},
    {"jp_phone", "大阪 06 1234 5678", "06 1234 5678"},
    {"jp_passport", "旅券番号 TK1234567", "TK1234567"},
    {"jp_passport", "passport: MZ7654321", "MZ7654321"},
    {"cn_resident_id", "身份证号 11010519491231002X", "11010519491231002X"},
    {"cn_resident_id", "ID 440304199001011233.", "440304199001011233"},
    {"cn_resident_id", "leap 310115200002290013", "310115200002290013"},
    {"us_ssn", "SSN 123-45-6789 on file", "123-45-6789"},
    {"us_ssn", "social security number 078 05 1120", "078 05 1120"},
    {"us_ssn", "ssn: 123456789", "123456789"},
    {"credit_card", "card 4111 1111 1111 1111 exp 12/29", "4111 1111 1111 1111"},
    {"credit_card", "4111-1111-1111-1111", "4111-1111-1111-1111"},
    {"credit_card", "MC 5555555555554444", "5555555555554444"},
    {"credit_card", "Amex 3782 822463 10005", "3782 822463 10005"},
    {"credit_card", "JCB 3530111333300000", "3530111333300000"},
    {"credit_card", "銀聯 6221260000000000 で支払い", "6221260000000000"},
    {"credit_card", "Discover 6011000990139424", "6011000990139424"},
    {"credit_card", "MC 2-series 2221000000000009", "2221000000000009"},
    {"credit_card", "Diners 30569309025904", "30569309025904"},
    {"credit_card", "카드 ４１１１１１１１１１１１１１１１", "４１１１１１１１１１１１１１１１"},
    {"credit_card", "item 3 4111 1111 1111 1111", "4111 1111 1111 1111"},
    {"iban", "IBAN DE89 3704 0044 0532 0130 00, thanks", "DE89 3704 0044 0532 0130 00"},
    {"iban", "pay to GB29NWBK60161331926819", "GB29NWBK60161331926819"},
    {"iban", "FR14 2004 1010 0505 0001 3M02 606 PARIS", "FR14 2004 1010 0505 0001 3M02 606"},
    {"email", "mail me at john.doe+tag@example.co.kr.", "john.doe+tag@example.co.kr"},
    {"email", "連絡先: taro@example.jp まで", "taro@example.jp"},
    {"email", "문의: kim@corp.example.com 으로", "kim@corp.example.com"},
    {"ipv4", "server 192.168.0.1 is down", "192.168.0.1"},
    {"ipv4", "connect to 10.0.0.255:8080", "10.0.0.255"},
    {"ipv6", "host 2001:db8::1 answered", "2001:db8::1"},
    {"ipv6", "link fe80::1ff:fe23:4567:890a.", "fe80::1ff:fe23:4567:890a"},
    {"aws_access_key", "key AKIAIOSFODNN7EXAMPLE here", "AKIAIOSFODNN7EXAMPLE"},
    {"github_token", "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 ok", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"},
    {"github_token", "github_pat_11ABCDEFG0123456789_abcdefghijkl", "github_pat_11ABCDEFG0123456789_abcdefghijkl"},
    {"openai_key", "OPENAI_API_KEY=sk-proj-abc123DEF456ghi789JKL012mno345", "sk-proj-abc123DEF456ghi789JKL012mno345"},
    {"jwt", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"},
    {"generic_api_key", "api_key=Zx9K2mQ7vB4nR8tW1yL5pA3s", "Zx9K2mQ7vB4nR8tW1yL5pA3s"},
    {"generic_api_key", "토큰: a8F3kL9mQ2xZ7vB1nR5tW 사용", "a8F3kL9mQ2xZ7vB1nR5tW"},
    {"generic_api_key", "{\"client_secret\": \"Zx9K2mQ7vB4nR8tW1yL5pA3s+/==\"}", "Zx9K2mQ7vB4nR8tW1yL5pA3s+/=="},
    {"private_key", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34\n-----END RSA PRIVATE KEY-----\nbye",
     "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34\n-----END RSA PRIVATE KEY-----"},
    {"private_key", "-----BEGIN PRIVATE KEY-----\nabc", "-----BEGIN PRIVATE KEY-----\nabc"},
};

const Miss kMisses[] = {
    {"kr_rrn", "bare, old date, bad checksum 9001011234567"},
    {"kr_rrn", "month 13: 901301-1234568"},
    {"kr_rrn", "Feb 30: 900230-1234568"},
    {"kr_rrn", "2001 is not leap: 010229-3123456"},
    {"kr_rrn", "gender 5 is a foreigner: 900101-5123467"},
    {"kr_rrn", "too long 900101-12345689"},
    {"kr_rrn", "too short 900101-123456"},
    {"kr_rrn", "glued to digits 1900101-1234568"},
    {"kr_rrn", "glued to letters A9001011234568"},
    {"kr_rrn", "glued to a full-width digit １９００１０１－１２３４５６８"},
    {"kr_rrn", "born 2088 (future): 880101-3123456"},
    {"kr_rrn", "born 1899 (gender 0): 991231-0876543"},
    {"kr_frn", "bad month 9013015123467"},
    {"kr_frn", "citizen gender digit 900101-1234568"},
    {"kr_brn", "bad checksum 123-45-67890"},
    {"kr_brn", "wrong length 123-45-678912"},
    {"kr_brn", "bare without context 2208112341"},
    {"kr_passport", "no context M12345678"},
    {"kr_passport", "여권 M1234567 short"},
    {"kr_driver_license", "region 99: 99-23-123456-01"},
    {"kr_driver_license", "wrong group 11-23-12345-01"},
    {"kr_driver_license", "no region name 98-123456-12"},
    {"kr_driver_license", "region, wrong groups 서울 981-23456-12"},
    {"kr_phone", "010 must have 11 digits: 010-123-5678"},
    {"kr_phone", "too long 010-1234-56789"},
    {"kr_phone", "not a prefix 080-1234-5678"},
    {"kr_bank_account", "no context 110-123-456789"},
    {"kr_bank_account", "계좌 too short 123-4567"},
    {"jp_my_number", "bad check digit 123456789017"},
    {"jp_my_number", "11 digits 12345678901"},
    {"jp_my_number", "bare without context 123456789018"},
    {"jp_corporate_number", "bad check digit 1234567890123"},
    {"jp_phone", "too short 090-1234-567"},
    {"jp_passport", "no context TK1234567"},
    {"cn_resident_id", "bad check 110105194912310021"},
    {"cn_resident_id", "month 13 110105194913310027"},
    {"cn_resident_id", "17 digits 11010519491231002"},
    {"us_ssn", "area 000: 000-12-3456"},
    {"us_ssn", "area 666: 666-12-3456"},
    {"us_ssn", "area 9xx: 900-12-3456"},
    {"us_ssn", "group 00: 123-00-4567"},
    {"us_ssn", "serial 0000: 123-45-0000"},
    {"us_ssn", "bare without context 123456789"},
    {"credit_card", "bad Luhn 4111 1111 1111 1112"},
    {"credit_card", "no issuer 1234 5678 9012 3452"},
    {"credit_card", "Visa cannot be 17 digits 41111111111111113"},
    {"iban", "bad check DE88 3704 0044 0532 0130 00"},
    {"email", "no tld john@localhost"},
    {"email", "double dot a..b@example.com"},
    {"ipv4", "octet 256.1.1.1"},
    {"ipv4", "version v1.2.3.4"},
    {"ipv4", "five parts 1.2.3.4.5"},
    {"ipv4", "three parts 1.2.3"},
    {"ipv6", "clock 12:30:45"},
    {"ipv6", "C++ std::vector<int> and Base::add"},
    {"aws_access_key", "19 chars AKIAIOSFODNN7EXAMPL"},
    {"aws_access_key", "glued XAKIAIOSFODNN7EXAMPLE"},
    {"private_key", "-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----"},
    {"github_token", "short ghp_abcdef"},
    {"openai_key", "sk-learn and task-management-is-important-to-everyone"},
    {"jwt", "one segment eyJhbGciOiJIUzI1NiJ9"},
    {"generic_api_key", "identifier abcdefghij1234567890xyzABC without the word"},
    {"generic_api_key", "token: aaaaaaaaaaaaaaaaaaaaaaaa11"},
};

}  // namespace

TEST_CASE("PiiScanner finds each detector's valid values at their original byte offsets") {
  for (const Hit& h : kHits) {
    const std::string text = h.text;
    CAPTURE(text);
    const auto found = scan(text);
    CHECK(found.size() == 1);
    if (found.size() != 1) continue;
    CHECK(std::string(found[0].detector) == h.detector);
    CHECK(text.substr(found[0].begin, found[0].end - found[0].begin) == std::string(h.value));
  }
}

TEST_CASE("PiiScanner rejects near misses") {
  for (const Miss& m : kMisses) {
    const std::string text = m.text;
    CAPTURE(text);
    for (const PiiFinding& f : scan(m.text)) CHECK(std::string(f.detector) != m.detector);
  }
}

TEST_CASE("PiiScanner reports several findings in order, without overlaps") {
  const std::string text =
      "김철수(900101-1234568) 010-1234-5678, kim@example.com, 카드 4111111111111111, 다시 900101-1234568";
  const auto found = scan(text);
  for (const PiiFinding& f : found) MESSAGE(std::string(f.detector) << " " << text.substr(f.begin, f.end - f.begin));
  REQUIRE(found.size() == 5);
  const char* expected[] = {"kr_rrn", "kr_phone", "email", "credit_card", "kr_rrn"};
  for (std::size_t i = 0; i < found.size(); ++i) {
    CHECK(found[i].detector == expected[i]);
    if (i > 0) CHECK(found[i - 1].end <= found[i].begin);
  }
}

// Context words count within kContextWindow (96) bytes of the run, whole: first and last bytes of
// the window, and one byte past it.
TEST_CASE("PiiScanner: a context word at the very edge of its window counts, one byte further does not") {
  const std::string number = "110-123-456789";
  for (const std::size_t pad : {std::size_t{90}, std::size_t{91}}) {
    CAPTURE(pad);
    const bool inside = pad == 90;
    const auto before = scan("계좌" + std::string(pad, ' ') + number);
    CHECK(before.size() == (inside ? 1u : 0u));
    const auto after = scan(number + std::string(pad, ' ') + "계좌");
    CHECK(after.size() == (inside ? 1u : 0u));
    // ASCII words are found by another search: "BANK" (4 bytes) ends at the window's end after 92.
    const auto ascii = scan(number + std::string(pad + 2, ' ') + "BANK");
    CHECK(ascii.size() == (inside ? 1u : 0u));
  }
}

TEST_CASE("PiiScanner finds nothing in empty or plain text") {
  CHECK(scan("").empty());
  CHECK(scan("안녕하세요. 오늘 회의는 3시에 시작합니다. 今日は良い天気ですね。").empty());
}

TEST_CASE("PiiScanner: built-in subset and custom detectors") {
  PiiScannerConfig config;
  config.builtins = std::vector<std::string>{"email"};
  config.custom.push_back(CustomDetector{"employee_id", "EMP-[0-9]{6}", "", {}});
  config.custom.push_back(CustomDetector{"member_card", "[0-9]{16}", "luhn", {"멤버십", "member"}});
  auto s = PiiScanner::create(config);
  REQUIRE(s.ok());
  CHECK((*s)->detector_ids() == std::vector<std::string>{"email", "employee_id", "member_card"});
  ScanScratch scratch;
  auto found = (*s)->scan("EMP-123456 a@b.co 멤버십 4111111111111111 / 4111111111111112 / 010-1234-5678", scratch);
  REQUIRE(found.ok());
  REQUIRE(found->size() == 3);
  CHECK((*found)[0].detector == "employee_id");
  CHECK((*found)[1].detector == "email");
  CHECK((*found)[2].detector == "member_card");
  auto no_context = (*s)->scan("4111111111111111", scratch);
  REQUIRE(no_context.ok());
  CHECK(no_context->empty());
}

TEST_CASE("PiiScanner with only numeric detectors (digit runs, no Hyperscan database)") {
  PiiScannerConfig config;
  config.builtins = std::vector<std::string>{"kr_rrn", "credit_card"};
  auto s = PiiScanner::create(config);
  REQUIRE(s.ok());
  ScanScratch scratch;
  auto found = (*s)->scan("kim@example.com 900101-1234568 / ４１１１ １１１１ １１１１ １１１１ / 010-1234-5678", scratch);
  REQUIRE(found.ok());
  REQUIRE(found->size() == 2);
  CHECK((*found)[0].detector == "kr_rrn");
  CHECK((*found)[1].detector == "credit_card");
}

TEST_CASE("PiiScanner::create rejects bad detector config, naming the detector") {
  struct Bad {
    PiiScannerConfig config;
    const char* message;
  };
  auto with_custom = [](CustomDetector c) {
    PiiScannerConfig cfg;
    cfg.custom.push_back(std::move(c));
    return cfg;
  };
  PiiScannerConfig unknown_builtin;
  unknown_builtin.builtins = std::vector<std::string>{"kr_rrn", "kr_nope"};
  PiiScannerConfig none;
  none.builtins = std::vector<std::string>{};
  const Bad cases[] = {
      {unknown_builtin, "unknown built-in detector 'kr_nope'"},
      {with_custom({"Bad Name", "x", "", {}}), "custom detector name 'Bad Name'"},
      {with_custom({"email", "x", "", {}}), "custom detector 'email' reuses an existing id"},
      {with_custom({"c1", "x", "crc32", {}}), "custom detector 'c1': unknown validator 'crc32'"},
      {with_custom({"c2", "", "", {}}), "custom detector 'c2': empty regex"},
      {with_custom({"c3", "(unclosed", "", {}}), "detector 'c3': regex rejected"},
      {none, "no detector enabled"},
  };
  for (const Bad& b : cases) {
    auto r = PiiScanner::create(b.config);
    REQUIRE_FALSE(r.ok());
    CHECK_MESSAGE(r.error().detail.find(b.message) != std::string::npos, r.error().detail);
  }
}

TEST_CASE("ScanScratch serves several scanners (config reload) and moves") {
  auto a = PiiScanner::create({});
  PiiScannerConfig only_email;
  only_email.builtins = std::vector<std::string>{"email"};
  auto b = PiiScanner::create(only_email);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  ScanScratch scratch;
  for (int i = 0; i < 3; ++i) {
    auto fa = (*a)->scan("010-1234-5678 x@y.kr", scratch);
    auto fb = (*b)->scan("010-1234-5678 x@y.kr", scratch);
    REQUIRE(fa.ok());
    REQUIRE(fb.ok());
    CHECK(fa->size() == 2);
    CHECK(fb->size() == 1);
  }
  ScanScratch moved = std::move(scratch);
  auto again = (*a)->scan("x@y.kr", moved);
  REQUIRE(again.ok());
  CHECK(again->size() == 1);
}

TEST_CASE("one shared PiiScanner, one ScanScratch per thread") {
  const std::string text = "김철수 900101-1234568, 010-1234-5678, kim@example.com, 4111 1111 1111 1111";
  const std::size_t expected = scan(text).size();
  REQUIRE(expected == 4);
  std::vector<std::size_t> counts(2, 0);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < counts.size(); ++t) {
    threads.emplace_back([&, t] {
      ScanScratch own;
      for (int i = 0; i < 200; ++i) {
        auto found = scanner().scan(text, own);
        if (found.ok() && found->size() == expected) ++counts[t];
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(counts[0] == 200);
  CHECK(counts[1] == 200);
}

TEST_CASE("numbers next to each other are found separately") {
  // One space joins them into one digit run (split into sub-spans); two spaces make two runs.
  for (const std::string text : {"010-1234-5678 900101-1234568", "010-1234-5678  900101-1234568"}) {
    CAPTURE(text);
    const auto found = scan(text);
    REQUIRE(found.size() == 2);
    CHECK(std::string(found[0].detector) == "kr_phone");
    CHECK(std::string(found[1].detector) == "kr_rrn");
  }
}

TEST_CASE("adversarial input is scanned in linear time") {
  // Each would be quadratic if every Hyperscan hit re-walked the whole run, token or block.
  const char* const kUnits[] = {"1 ", "12-", "a:", "token", "x@y.", "1.", "-----BEGIN PRIVATE KEY-----\n", "eyJab.",
                                "DE00 "};
  for (const char* unit : kUnits) {
    std::string text;
    while (text.size() < 256 * 1024) text += unit;
    CAPTURE(std::string(unit));
    const auto start = std::chrono::steady_clock::now();
    static_cast<void>(scan(text));
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    CHECK(ms < 1000);  // a linear scan takes a few ms; quadratic would take minutes
  }
}

}  // namespace sovgw::policy
