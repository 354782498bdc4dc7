// Digit-run parsing for the numeric detectors (see numeric_run.hpp).
#include "policy/numeric_run.hpp"

#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sovgw::policy {
namespace {

unsigned char byte(std::string_view t, std::size_t i) { return static_cast<unsigned char>(t[i]); }

bool wide3(std::string_view t, std::size_t i, unsigned char a, unsigned char b) {
  return i + 2 < t.size() && byte(t, i) == a && byte(t, i + 1) == b;
}

// A full-width digit U+FF10..U+FF19 starts at i.
bool wide_digit_at(std::string_view t, std::size_t i) {
  return wide3(t, i, 0xEF, 0xBC) && byte(t, i + 2) >= 0x90 && byte(t, i + 2) <= 0x99;
}

// Length of the digit starting at i: 1 (ASCII), 3 (full-width) or 0.
std::size_t digit_at(std::string_view t, std::size_t i) {
  if (i >= t.size()) return 0;
  if (byte(t, i) >= '0' && byte(t, i) <= '9') return 1;
  return wide_digit_at(t, i) ? 3 : 0;
}

// Length of the separator starting at i (0 if none), and its kind: space, '-', '.', full-width
// '－' and '．', hyphens/dashes U+2010..2015, minus U+2212, ideographic space U+3000 and the
// katakana long-vowel mark used as a dash in Japanese.
std::size_t sep_at(std::string_view t, std::size_t i, SepKind& kind) {
  if (i >= t.size()) return 0;
  const unsigned char c = byte(t, i);
  if (c == ' ' || c == '-' || c == '.') {
    kind = c == ' ' ? SepKind::kSpace : c == '-' ? SepKind::kDash : SepKind::kDot;
    return 1;
  }
  if (i + 2 >= t.size()) return 0;
  const unsigned char c1 = byte(t, i + 1), c2 = byte(t, i + 2);
  kind = SepKind::kDash;
  if (c == 0xEF && c1 == 0xBC && (c2 == 0x8D || c2 == 0x8E)) {
    if (c2 == 0x8E) kind = SepKind::kDot;
    return 3;
  }
  if (c == 0xE2 && ((c1 == 0x80 && c2 >= 0x90 && c2 <= 0x95) || (c1 == 0x88 && c2 == 0x92))) return 3;
  if (c == 0xE3 && c1 == 0x83 && c2 == 0xBC) return 3;
  if (c == 0xE3 && c1 == 0x80 && c2 == 0x80) {
    kind = SepKind::kSpace;
    return 3;
  }
  return 0;
}

}  // namespace

// Candidate bytes are ASCII digits and 0xEF (the lead byte of full-width digits); in prose they
// are rare, so 16 bytes are tested at a time and only the candidates are looked at one by one.
std::size_t next_digit(std::string_view text, std::size_t from) {
  std::size_t i = from;
  for (;;) {
#if defined(__SSE2__)
    const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9), lead = _mm_set1_epi8(static_cast<char>(0xEF));
    for (; i + 16 <= text.size(); i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
      const __m128i d = _mm_sub_epi8(v, zero);  // '0'..'9' -> 0..9, unsigned compare below
      const __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(d, nine), d), _mm_cmpeq_epi8(v, lead));
      if (const int mask = _mm_movemask_epi8(hit); mask != 0) {
        i += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
        break;
      }
    }
#endif
    while (i < text.size() && !((byte(text, i) >= '0' && byte(text, i) <= '9') || byte(text, i) == 0xEF)) ++i;
    if (i >= text.size() || digit_at(text, i) != 0) return i;
    ++i;  // 0xEF that does not start a full-width digit
  }
}

// The folded digits are written through a local pointer with 16 bytes of slack checked once per
// 16 digits, so the compiler keeps it in a register (stores through std::string::operator[]
// reloaded the string for every digit). Taking 16 bytes at a time with SSE2 instead was slower:
// groups are short and each group then waited on a load-compare-movemask chain.
std::string_view split_numeric_run(std::string_view text, std::size_t begin, std::vector<RunGroup>& groups,
                                   std::string& buffer) {
  groups.clear();
  // The buffer only ever grows, so a run costs no clearing however long an earlier one was.
  constexpr std::size_t kSlack = 16;  // digits written between two capacity checks
  if (buffer.size() < 4 * kSlack) buffer.resize(4 * kSlack);
  char* out = buffer.data();
  char* limit = out + buffer.size() - kSlack;  // kSlack more digits fit while out <= limit
  const char* const p = text.data();
  const std::size_t size = text.size();
  std::size_t i = begin;
  SepKind before = SepKind::kSpace;
  for (;;) {
    const std::size_t start = i;
    const std::size_t folded = static_cast<std::size_t>(out - buffer.data());
    for (;;) {
      if (out > limit) {
        const std::size_t n = static_cast<std::size_t>(out - buffer.data());
        buffer.resize(2 * buffer.size());
        out = buffer.data() + n;
        limit = buffer.data() + buffer.size() - kSlack;
      }
      const std::size_t stop = std::min(size, i + kSlack);  // what the slack holds
      while (i < stop && p[i] >= '0' && p[i] <= '9') *out++ = p[i++];
      if (i == stop && i < size) continue;  // 16 digits in a row: check the room, go on
      if (wide_digit_at(text, i)) {
        *out++ = static_cast<char>('0' + (byte(text, i + 2) - 0x90));
        i += 3;
        continue;
      }
      break;
    }
    const auto group_digits = static_cast<std::size_t>(out - buffer.data()) - folded;
    groups.push_back(RunGroup{start, i, static_cast<int>(group_digits), before});
    const std::size_t s = sep_at(text, i, before);
    if (s == 0) break;
    const unsigned char next = i + s < size ? byte(text, i + s) : 0;
    if (!(next >= '0' && next <= '9') && !wide_digit_at(text, i + s)) break;
    i += s;
  }
  return std::string_view(buffer.data(), static_cast<std::size_t>(out - buffer.data()));
}

}  // namespace sovgw::policy
