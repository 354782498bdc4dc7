// False-positive corpus: ordinary business text full of numbers (dates, amounts, order and
// tracking numbers, timestamps, version strings) in English, Korean and Japanese, generated from
// templates with a fixed seed. None of it is PII; every finding is a false positive. The rate is
// printed and must stay low.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "policy/pii_scanner.hpp"

namespace sovgw::policy {
namespace {

class Corpus {
 public:
  explicit Corpus(std::uint64_t seed) : state_(seed) {}

  std::string sentence() {
    static const char* const kTemplates[] = {
        "Invoice {order} dated {date} totals {amount}; payment due {date}.",
        "Order {order} shipped on {date} at {time}, tracking {tracking}.",
        "Please upgrade from {version} to {version} before {date}.",
        "Q3 revenue was {amount}, up {pct} from {amount} last year ({count} units).",
        "Log {ts} INFO request {order} took {count} ms, build {version}.",
        "견적서 {order} 금액은 {amount_kr}이며 {date_kr}까지 유효합니다.",
        "주문번호 {order} 상품 {count}개, 운송장 {tracking}, 배송일 {date}.",
        "{date_kr} {time} 회의에서 {version} 배포 일정과 예산 {amount_kr}을 논의했습니다.",
        "재고 {count}개, 단가 {amount_kr}, 바코드 {ean}, 부가세 {pct} 포함.",
        "注文番号 {order}、金額 {amount_jp}、納期 {date_jp}です。",
        "{date_jp} {time} に {version} をリリースし、{count} 件の不具合を修正しました。",
        "請求書 {order} の合計は {amount_jp}（税率 {pct}）、JAN {ean}。",
        "Timestamp {epoch_ms} corresponds to {ts}; retry after {count} s.",
        "SKU {ean} restocked: {count} pcs at {amount} each, lot {lot}.",
    };
    std::string t = kTemplates[next(std::size(kTemplates))];
    std::string out;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] != '{') {
        out.push_back(t[i]);
        continue;
      }
      const std::size_t close = t.find('}', i);
      out += fill(t.substr(i + 1, close - i - 1));
      i = close;
    }
    return out;
  }

 private:
  std::size_t next(std::size_t n) {
    state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>((state_ >> 33) % n);
  }
  std::string num(int lo, int hi) {
    return std::to_string(lo + static_cast<int>(next(static_cast<std::size_t>(hi - lo + 1))));
  }
  std::string digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + next(10)));
    return s;
  }
  std::string pad2(int lo, int hi) {
    std::string s = num(lo, hi);
    if (s.size() == 1) s.insert(s.begin(), '0');
    return s;
  }
  static std::string thousands(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (i > 0 && (s.size() - i) % 3 == 0) out.push_back(',');
      out.push_back(s[i]);
    }
    return out;
  }

  std::string fill(const std::string& kind) {
    const std::string y = num(2019, 2026), m = pad2(1, 12), d = pad2(1, 28);
    if (kind == "date") {
      const std::string forms[] = {y + "-" + m + "-" + d, y + "." + m + "." + d, y + "/" + m + "/" + d, y + m + d};
      return forms[next(4)];
    }
    if (kind == "date_kr") return y + "년 " + num(1, 12) + "월 " + num(1, 28) + "일";
    if (kind == "date_jp") return y + "年" + num(1, 12) + "月" + num(1, 28) + "日";
    if (kind == "time") {
      std::string t = pad2(0, 23) + ":" + pad2(0, 59);
      if (next(2)) t.append(":").append(pad2(0, 59));
      return t;
    }
    if (kind == "ts") return y + "-" + m + "-" + d + "T" + pad2(0, 23) + ":" + pad2(0, 59) + ":" + pad2(0, 59) + "Z";
    if (kind == "epoch_ms") return std::string("17").append(digits(11));
    if (kind == "amount") return std::string("$").append(thousands(num(1, 9999999))).append(".").append(pad2(0, 99));
    if (kind == "amount_kr") return thousands(num(1000, 99999999)) + "원";
    if (kind == "amount_jp") return std::string("¥").append(thousands(num(100, 9999999)));
    if (kind == "pct") return num(1, 99) + "." + num(0, 9) + "%";
    if (kind == "count") return thousands(num(1, 250000));
    if (kind == "version") {
      std::string v = next(2) ? "v" : "";
      return v.append(num(0, 20)).append(".").append(num(0, 40)).append(".").append(num(0, 200));
    }
    if (kind == "ean") return std::string("880").append(digits(10));
    if (kind == "lot") return std::string("L").append(digits(6)).append("-").append(digits(3));
    if (kind == "tracking") return digits(static_cast<int>(10 + next(3)));  // 10-12 digit waybill numbers
    // order numbers in the shapes shops use
    const std::string forms[] = {
        "ORD-" + y + "-" + digits(6),           y + m + d + "-" + digits(6),
        std::string("PO#45").append(digits(8)), "INV-" + y + "-" + digits(5),
        std::string("#").append(digits(7)),     std::string("A").append(digits(3)).append("-").append(digits(4))};
    return forms[next(6)];
  }

  std::uint64_t state_;
};

}  // namespace

TEST_CASE("false-positive rate on number-heavy business text stays low") {
  auto scanner = PiiScanner::create({});
  REQUIRE(scanner.ok());
  ScanScratch scratch;
  Corpus corpus(20260101);
  constexpr int kSentences = 5000;
  int flagged = 0;
  std::size_t findings = 0;
  std::map<std::string, int> by_detector;
  std::vector<std::string> examples;
  for (int i = 0; i < kSentences; ++i) {
    const std::string s = corpus.sentence();
    auto found = (*scanner)->scan(s, scratch);
    REQUIRE(found.ok());
    findings += found->size();
    if (!found->empty()) ++flagged;
    for (const PiiFinding& f : *found) {
      ++by_detector[std::string(f.detector)];
      if (examples.size() < 8) examples.push_back(std::string(f.detector) + ": " + s.substr(f.begin, f.end - f.begin));
    }
  }
  const double rate = 100.0 * flagged / kSentences;
  MESSAGE("false positives: " << flagged << " of " << kSentences << " sentences (" << rate << "%), " << findings
                              << " findings");
  for (const auto& [id, n] : by_detector) MESSAGE("  " << id << ": " << n);
  for (const std::string& e : examples) MESSAGE("  e.g. " << e);
  CHECK(rate < 1.0);
}

}  // namespace sovgw::policy
