// Span locators for regex-found detectors (see pii_locators.hpp).
#include "policy/pii_locators.hpp"

#include <array>

#include "policy/pii_hit_checks.hpp"

namespace sovgw::policy::locators {
namespace {

bool alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool token(char c) { return alnum(c) || c == '_' || c == '-'; }
bool b64(char c) { return token(c) || c == '+' || c == '/'; }
bool jwt_char(char c) { return token(c) || c == '.'; }
bool local_char(char c) { return alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
bool domain_char(char c) { return alnum(c) || c == '.' || c == '-'; }
bool digit(char c) { return c >= '0' && c <= '9'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool v4_char(char c) { return digit(c) || c == '.'; }
bool v6_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

template <typename Pred>
std::size_t back(std::string_view t, std::size_t i, Pred p) {
  while (i > 0 && p(t[i - 1])) --i;
  return i;
}
template <typename Pred>
std::size_t forward(std::string_view t, std::size_t i, Pred p) {
  while (i < t.size() && p(t[i])) ++i;
  return i;
}

// A prefix-anchored token whose Hyperscan pattern is `len` bytes long: it starts `len` bytes
// before the match end and runs on while `p` holds.
template <typename Pred>
void anchored(std::string_view t, std::size_t end, std::size_t len, Pred p, std::vector<Span>& out) {
  if (end >= len) out.push_back(Span{end - len, forward(t, end, p)});
}

}  // namespace

void fixed9(std::string_view, std::size_t end, std::vector<Span>& out) {
  if (end >= 9) out.push_back(Span{end - 9, end});
}
void fixed20(std::string_view, std::size_t end, std::vector<Span>& out) {
  if (end >= 20) out.push_back(Span{end - 20, end});
}

void pem_block(std::string_view t, std::size_t end, std::vector<Span>& out) {
  const std::size_t begin = t.rfind("-----BEGIN ", end);
  if (begin != std::string_view::npos) out.push_back(Span{begin, pem_block_end(t, end)});
}

void github_classic(std::string_view t, std::size_t end, std::vector<Span>& out) {
  anchored(t, end, 40, alnum, out);  // gh?_ + 36
}
void github_fine_grained(std::string_view t, std::size_t end, std::vector<Span>& out) {
  anchored(
      t, end, 33, [](char c) { return alnum(c) || c == '_'; }, out);  // github_pat_ + 22
}

void openai_key(std::string_view t, std::size_t end, std::vector<Span>& out) {
  if (end < 23) return;
  const std::size_t begin = t.rfind("sk-", end - 20);
  if (begin != std::string_view::npos) out.push_back(Span{begin, forward(t, end, token)});
}

void jwt(std::string_view t, std::size_t end, std::vector<Span>& out) {
  const std::size_t run = back(t, end, jwt_char);
  const std::size_t begin = t.find("eyJ", run);
  if (begin < end) out.push_back(Span{begin, forward(t, end, token)});
}

// keyword, a short gap, then >= 20 token characters: the span is the token only.
void keyword_token(std::string_view t, std::size_t end, std::vector<Span>& out) {
  if (end < 20) return;
  const std::size_t begin = back(t, end - 20, b64);
  std::size_t stop = forward(t, end, b64);
  for (int pad = 0; pad < 2 && stop < t.size() && t[stop] == '='; ++pad) ++stop;
  out.push_back(Span{begin, stop});
}

void email(std::string_view t, std::size_t end, std::vector<Span>& out) {
  const std::size_t at = back(t, end, domain_char);
  if (at == 0 || t[at - 1] != '@') return;
  const std::size_t begin = back(t, at - 1, local_char);
  std::size_t stop = forward(t, end, domain_char);
  while (stop > end && (t[stop - 1] == '.' || t[stop - 1] == '-')) --stop;  // sentence punctuation
  if (begin < at - 1) out.push_back(Span{begin, stop});
}

void ipv4(std::string_view t, std::size_t end, std::vector<Span>& out) {
  std::size_t stop = forward(t, end, v4_char);
  if (stop > end && t[stop - 1] == '.') --stop;
  out.push_back(Span{back(t, end, v4_char), stop});
}

void ipv6(std::string_view t, std::size_t end, std::vector<Span>& out) {
  std::size_t stop = forward(t, end, v6_char);
  if (stop > end && t[stop - 1] == '.') --stop;
  out.push_back(Span{back(t, end, v6_char), stop});
}

// CC NN then 11 more alphanumerics (single spaces allowed) at the match end; the IBAN may run on
// to 34 alphanumerics. Every group end from the longest down is a candidate (mod 97 decides).
void iban(std::string_view t, std::size_t end, std::vector<Span>& out) {
  std::size_t begin = end;
  for (int chars = 0; chars < 15 && begin > 0;) {
    --begin;
    if (t[begin] != ' ') ++chars;
  }
  std::array<std::size_t, 20> ends{end};
  std::size_t n = 1, i = end;
  for (int chars = 15; chars < 34; ++chars) {
    const std::size_t j = i < t.size() && t[i] == ' ' ? i + 1 : i;
    if (j >= t.size() || !((t[j] >= '0' && t[j] <= '9') || (t[j] >= 'A' && t[j] <= 'Z'))) break;
    i = j + 1;
    ends[n++] = i;
  }
  while (n > 0) out.push_back(Span{begin, ends[--n]});
}

// [A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11}: a letter precedes the check digits, so they start a run.
void iban_start(std::string_view t, const std::vector<RunGroup>& run, std::vector<std::size_t>& ends) {
  const std::size_t b = run.front().begin;
  if (b < 2 || b + 2 > t.size() || !upper(t[b - 2]) || !upper(t[b - 1]) || !digit(t[b]) || !digit(t[b + 1])) return;
  std::size_t i = b + 2;
  for (int chars = 0; chars < 11; ++chars, ++i) {
    if (i < t.size() && t[i] == ' ') ++i;
    if (i >= t.size() || !(upper(t[i]) || digit(t[i]))) return;
  }
  ends.push_back(i);
}

// [0-9]{1,3}(?:\.[0-9]{1,3}){3}: four groups of one run joined by ASCII dots, the middle two of
// 1-3 ASCII digits. One end per such window: the locator builds the same span (the whole [0-9.]
// stretch) from any end inside it.
void ipv4_windows(std::string_view t, const std::vector<RunGroup>& run, std::vector<std::size_t>& ends) {
  auto dot_before = [&](const RunGroup& g) { return t[g.begin - 1] == '.'; };
  auto short_ascii = [](const RunGroup& g) {
    return g.digits <= 3 && g.end - g.begin == static_cast<std::size_t>(g.digits);  // ASCII digits only
  };
  for (std::size_t k = 0; k + 3 < run.size(); ++k) {
    if (digit(t[run[k].end - 1]) && dot_before(run[k + 1]) && short_ascii(run[k + 1]) && dot_before(run[k + 2]) &&
        short_ascii(run[k + 2]) && dot_before(run[k + 3]) && digit(t[run[k + 3].begin])) {
      ends.push_back(run[k + 3].begin + 1);
    }
  }
}

}  // namespace sovgw::policy::locators
