// Run triggers (IBAN, IPv4 found from the digit runs instead of Hyperscan) against the regex in
// their table row, compiled with Hyperscan as it was before: over seeded random text made of the
// bytes that matter (digits, dots, spaces, capitals, full-width digits and dots), the scanner must
// locate exactly the spans it located from Hyperscan's match ends.
#include <hs/hs.h>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "policy/numeric_run.hpp"
#include "policy/pii_detectors.hpp"

namespace sovgw::policy {
namespace {

int collect(unsigned int, unsigned long long, unsigned long long to, unsigned int, void* ctx) {
  static_cast<std::vector<std::size_t>*>(ctx)->push_back(static_cast<std::size_t>(to));
  return 0;
}

// What the scanner does with a detector's match ends: skip an end inside the span located last,
// else locate from it.
std::vector<std::pair<std::size_t, std::size_t>> located(const DetectorSpec& s, std::string_view text,
                                                         const std::vector<std::size_t>& ends) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t handled_to = 0;
  std::vector<Span> spans;
  for (const std::size_t end : ends) {
    if (end <= handled_to) continue;
    spans.clear();
    s.locate(text, end, spans);
    if (spans.empty()) continue;
    handled_to = spans.front().end;
    for (const Span& sp : spans) out.emplace_back(sp.begin, sp.end);
  }
  return out;
}

std::vector<std::size_t> trigger_ends(const DetectorSpec& s, std::string_view text) {
  std::vector<std::size_t> ends;
  std::vector<RunGroup> groups;
  std::string buffer;
  for (std::size_t i = next_digit(text, 0); i < text.size(); i = next_digit(text, i)) {
    split_numeric_run(text, i, groups, buffer);
    i = groups.back().end;
    s.run_trigger(text, groups, ends);
  }
  return ends;
}

std::string random_text(std::uint64_t& state) {
  static const char* const kPieces[] = {"0", "1.", "25.", "255.", "1000", "7", "12", ".", " ", "-", "A", "Z", "DE89",
                                        "NWBK", "3704", "x", ":", "\xEF\xBC\x91", "\xEF\xBC\x8E", ".."};
  auto next = [&state](std::size_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::size_t>((state >> 33) % n);
  };
  std::string text;
  for (std::size_t n = 1 + next(80); n > 0; --n) text += kPieces[next(std::size(kPieces))];
  return text;
}

}  // namespace

TEST_CASE("run triggers locate the same spans as their regex's Hyperscan match ends (iban, ipv4)") {
  int checked = 0;
  for (const DetectorSpec& s : builtin_detectors()) {
    if (s.run_trigger == nullptr) continue;
    CAPTURE(s.id);
    ++checked;
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    REQUIRE(hs_compile(s.regex.c_str(), 0, HS_MODE_BLOCK, nullptr, &db, &err) == HS_SUCCESS);
    hs_scratch_t* scratch = nullptr;
    REQUIRE(hs_alloc_scratch(db, &scratch) == HS_SUCCESS);
    std::uint64_t state = 42;
    int matched = 0;
    for (int t = 0; t < 20000; ++t) {
      const std::string text = random_text(state);
      std::vector<std::size_t> hs_ends;
      REQUIRE(hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch, collect, &hs_ends) ==
              HS_SUCCESS);
      matched += hs_ends.empty() ? 0 : 1;
      const auto expected = located(s, text, hs_ends);
      const auto got = located(s, text, trigger_ends(s, text));
      if (got != expected) {
        CAPTURE(text);
        CHECK(got == expected);
      }
    }
    CHECK(matched > 1000);  // the text exercises the pattern
    hs_free_scratch(scratch);
    hs_free_database(db);
  }
  CHECK(checked == 2);
}

}  // namespace sovgw::policy
