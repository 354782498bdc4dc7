// Edge rules, context words and PEM block ends for confirming scanner hits.
#include "policy/pii_hit_checks.hpp"

#include <algorithm>

namespace sovgw::policy {
namespace {

bool ascii_alnum(unsigned char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

// '=' may follow a token (base64 padding) but may precede one ("api_key=...").
bool token_char(unsigned char c) { return ascii_alnum(c) || c == '_' || c == '-' || c == '+' || c == '/'; }

unsigned char at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

// A digit (ASCII or full-width) starts at byte i.
bool digit_at(std::string_view s, std::size_t i) {
  if (i >= s.size()) return false;
  if (at(s, i) >= '0' && at(s, i) <= '9') return true;
  return i + 2 < s.size() && at(s, i) == 0xEF && at(s, i + 1) == 0xBC && at(s, i + 2) >= 0x90 && at(s, i + 2) <= 0x99;
}

// A digit (ASCII or full-width) ends right before byte i.
bool digit_before(std::string_view s, std::size_t i) {
  if (i == 0) return false;
  if (at(s, i - 1) >= '0' && at(s, i - 1) <= '9') return true;
  return i >= 3 && at(s, i - 3) == 0xEF && at(s, i - 2) == 0xBC && at(s, i - 1) >= 0x90 && at(s, i - 1) <= 0x99;
}

bool ip_ok(std::string_view s, std::size_t begin, std::size_t end) {
  if (begin > 0 && (ascii_alnum(at(s, begin - 1)) || s[begin - 1] == '.' || s[begin - 1] == ':')) return false;
  if (end >= s.size()) return true;
  // A port may follow an IPv4 address; a ':' after an IPv6 one would continue it.
  const bool v6 = s.substr(begin, end - begin).find(':') != std::string_view::npos;
  if (ascii_alnum(at(s, end)) || (s[end] == ':' && v6)) return false;
  return !(s[end] == '.' && end + 1 < s.size() && ascii_alnum(at(s, end + 1)));
}

bool email_ok(std::string_view s, std::size_t end) {
  if (end >= s.size()) return true;
  if (ascii_alnum(at(s, end)) || s[end] == '-' || s[end] == '_') return false;
  return !(s[end] == '.' && end + 1 < s.size() && ascii_alnum(at(s, end + 1)));
}

bool edges_ok(std::string_view s, std::size_t begin, std::size_t end) {
  if (begin > 0 && ascii_alnum(at(s, begin)) && ascii_alnum(at(s, begin - 1))) return false;
  return !(end < s.size() && end > begin && ascii_alnum(at(s, end - 1)) && ascii_alnum(at(s, end)));
}

// Candidates are found by the needle's second byte: in Korean and Japanese words that is a UTF-8
// continuation byte, spread over 64 values, where the first is a lead byte shared by a quarter of
// all Hangul (find() stopped at each of them).
bool contains_exact(std::string_view hay, std::string_view needle) {
  if (needle.size() < 2) return hay.find(needle) != std::string_view::npos;
  for (std::size_t i = 1; (i = hay.find(needle[1], i)) != std::string_view::npos; ++i) {
    if (i - 1 + needle.size() > hay.size()) return false;
    if (hay.substr(i - 1, needle.size()) == needle) return true;
  }
  return false;
}

// `needle` is lower-case; ASCII letters in the haystack compare case-insensitively.
bool contains_caseless(std::string_view hay, std::string_view needle) {
  if (needle.empty() || needle.size() > hay.size()) return false;
  const bool has_letters = std::any_of(needle.begin(), needle.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  if (!has_letters) return contains_exact(hay, needle);  // Korean, Japanese: exact bytes
  const char lo = needle[0];
  const char up = lo >= 'a' && lo <= 'z' ? static_cast<char>(lo - 32) : lo;
  const std::size_t last = hay.size() - needle.size();
  for (std::size_t i = 0; i <= last; ++i) {
    // Jump to the next byte that can start the word (memchr for both cases).
    const std::size_t a = hay.find(lo, i), b = lo == up ? a : hay.find(up, i);
    i = std::min(a, b);
    if (i > last) return false;
    std::size_t k = 1;
    for (; k < needle.size(); ++k) {
      unsigned char c = at(hay, i + k);
      if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
      if (c != static_cast<unsigned char>(needle[k])) break;
    }
    if (k == needle.size()) return true;
  }
  return false;
}

}  // namespace

bool digits_start_ok(std::string_view s, std::size_t begin) {
  if (digit_before(s, begin) || (begin > 0 && ascii_alnum(at(s, begin - 1)))) return false;
  return !(begin > 1 && (s[begin - 1] == '-' || s[begin - 1] == '.') && digit_before(s, begin - 1));
}

bool digits_end_ok(std::string_view s, std::size_t end) {
  if (digit_at(s, end) || (end < s.size() && ascii_alnum(at(s, end)))) return false;
  return !(end < s.size() && (s[end] == '-' || s[end] == '.') && digit_at(s, end + 1));
}

bool boundary_ok(Boundary b, std::string_view text, std::size_t begin, std::size_t end) {
  switch (b) {
    case Boundary::kNone:
      return true;
    case Boundary::kDigits:
      return digits_start_ok(text, begin) && digits_end_ok(text, end);
    case Boundary::kWord:
      return !(begin > 0 && token_char(at(text, begin - 1))) &&
             !(end < text.size() && (token_char(at(text, end)) || text[end] == '='));
    case Boundary::kEmail:
      return email_ok(text, end);
    case Boundary::kIp:
      return ip_ok(text, begin, end);
    case Boundary::kEdges:
      return edges_ok(text, begin, end);
  }
  return false;
}

bool context_ok(const std::vector<std::string>& words, std::string_view text, std::size_t begin, std::size_t end) {
  const std::size_t from = begin > kContextWindow ? begin - kContextWindow : 0;
  const std::size_t to = std::min(text.size(), end + kContextWindow);
  const std::string_view window = text.substr(from, to - from);
  for (const std::string& w : words) {
    if (contains_caseless(window, w)) return true;
  }
  return false;
}

std::size_t pem_block_end(std::string_view text, std::size_t from) {
  static constexpr std::string_view kEnd = "-----END ";
  static constexpr std::string_view kTail = "PRIVATE KEY-----";
  const std::size_t end_line = text.find(kEnd, from);
  if (end_line == std::string_view::npos) return text.size();
  const std::size_t tail = text.find(kTail, end_line);
  if (tail == std::string_view::npos) return text.size();
  return tail + kTail.size();
}

}  // namespace sovgw::policy
