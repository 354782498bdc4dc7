// The detector table's numeric rows: the scanner asks a shape only about the digit totals in its
// `digit_totals` mask, so a shape must accept no layout of any other total, or the mask would
// hide findings. Every grouping the scanner can build (up to 6 groups, 9 to 19 digits) is tried
// with each separator kind, with and without a leading '+', and with digits shapes look at.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "policy/pii_detectors.hpp"

namespace sovgw::policy {
namespace {

// What the scanner tries: sub-spans of up to 6 digit groups holding 9 to 19 digits.
constexpr int kMaxGroups = 6;
constexpr int kMinDigits = 9;
constexpr int kMaxDigits = 19;

// Calls `f` with every split of `total` digits into 1..kMaxGroups groups.
template <typename F>
void for_each_grouping(int total, std::vector<int>& groups, F&& f) {
  int used = 0;
  for (int g : groups) used += g;
  if (used == total) {
    f(groups);
    return;
  }
  if (static_cast<int>(groups.size()) == kMaxGroups) return;
  for (int g = 1; used + g <= total; ++g) {
    groups.push_back(g);
    for_each_grouping(total, groups, f);
    groups.pop_back();
  }
}

// Layouts of `total` digits the shape accepts.
int accepted(NumericShape shape, int total) {
  int count = 0;
  std::vector<int> groups;
  const std::string digit_sets[] = {std::string(static_cast<std::size_t>(total), '0'),
                                    "02" + std::string(static_cast<std::size_t>(total - 2), '0'),
                                    std::string(static_cast<std::size_t>(total), '9')};
  for_each_grouping(total, groups, [&](const std::vector<int>& g) {
    for (const SepKind sep : {SepKind::kDash, SepKind::kSpace, SepKind::kDot}) {
      const std::vector<SepKind> seps(g.size(), sep);
      for (const bool plus : {false, true}) {
        for (const std::string& digits : digit_sets) {
          const NumericLayout l{g.data(), seps.data(), static_cast<int>(g.size()), total, plus, digits};
          count += shape(l) ? 1 : 0;
        }
      }
    }
  });
  return count;
}

}  // namespace

TEST_CASE("numeric detectors: no shape accepts a digit total outside its digit_totals mask") {
  int numeric = 0;
  for (const DetectorSpec& s : builtin_detectors()) {
    if (s.shape == nullptr) continue;
    ++numeric;
    CAPTURE(s.id);
    for (int total = kMinDigits; total <= kMaxDigits; ++total) {
      CAPTURE(total);
      const int n = accepted(s.shape, total);
      if ((s.digit_totals >> total) & 1u)
        CHECK(n > 0);  // a bit no layout uses would only cost time
      else
        CHECK(n == 0);
    }
  }
  CHECK(numeric > 10);
}

}  // namespace sovgw::policy
