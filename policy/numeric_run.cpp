// Digit-run parsing for the numeric detectors (see numeric_run.hpp).
#include "policy/numeric_run.hpp"

namespace sovgw::policy {
namespace {

unsigned char byte(std::string_view t, std::size_t i) { return static_cast<unsigned char>(t[i]); }

bool wide3(std::string_view t, std::size_t i, unsigned char a, unsigned char b) {
  return i + 2 < t.size() && byte(t, i) == a && byte(t, i + 1) == b;
}

// Length of the digit starting at i: 1 (ASCII), 3 (full-width) or 0.
std::size_t digit_at(std::string_view t, std::size_t i) {
  if (i >= t.size()) return 0;
  if (byte(t, i) >= '0' && byte(t, i) <= '9') return 1;
  return (wide3(t, i, 0xEF, 0xBC) && byte(t, i + 2) >= 0x90 && byte(t, i + 2) <= 0x99) ? 3 : 0;
}

std::size_t digit_before(std::string_view t, std::size_t i) {
  if (i >= 1 && byte(t, i - 1) >= '0' && byte(t, i - 1) <= '9') return 1;
  return (i >= 3 && digit_at(t, i - 3) == 3) ? 3 : 0;
}

// Length of the separator starting at i (0 if none), and its kind.
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

std::size_t sep_before(std::string_view t, std::size_t i) {
  SepKind k;
  if (i >= 1 && sep_at(t, i - 1, k) == 1) return 1;
  return (i >= 3 && sep_at(t, i - 3, k) == 3) ? 3 : 0;
}

}  // namespace

Span numeric_run_around(std::string_view text, std::size_t digit_end) {
  std::size_t b = digit_end;
  for (;;) {
    while (std::size_t n = digit_before(text, b)) b -= n;
    const std::size_t s = sep_before(text, b);
    if (s == 0 || digit_before(text, b - s) == 0) break;
    b -= s;
  }
  std::size_t e = digit_end;
  for (;;) {
    while (std::size_t n = digit_at(text, e)) e += n;
    SepKind k;
    const std::size_t s = sep_at(text, e, k);
    if (s == 0 || digit_at(text, e + s) == 0) break;
    e += s;
  }
  return Span{b, e};
}

void split_numeric_run(std::string_view text, std::size_t begin, std::vector<RunGroup>& groups) {
  groups.clear();
  std::size_t i = begin;
  SepKind before = SepKind::kSpace;
  for (;;) {
    RunGroup g{i, i, 0, before};
    while (std::size_t n = digit_at(text, i)) {
      i += n;
      ++g.digits;
    }
    g.end = i;
    groups.push_back(g);
    const std::size_t s = sep_at(text, i, before);
    if (s == 0 || digit_at(text, i + s) == 0) return;
    i += s;
  }
}

void append_digits(std::string_view text, const RunGroup& group, std::string& out) {
  for (std::size_t i = group.begin; i < group.end;) {
    if (byte(text, i) <= '9') {
      out.push_back(text[i]);
      ++i;
    } else {
      out.push_back(static_cast<char>('0' + (byte(text, i + 2) - 0x90)));
      i += 3;
    }
  }
}

}  // namespace sovgw::policy
