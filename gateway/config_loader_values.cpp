// Value checks for the config loader that do not depend on TOML. See config_loader_values.hpp.
#include "gateway/config_loader_values.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace sovgw::config_values {
namespace {

namespace urls = boost::urls;

constexpr std::string_view kNotHttpUrl = "must be an http:// or https:// URL with a host";

// The officially assigned ISO 3166-1 alpha-2 codes (249), two letters each.
constexpr std::string_view kIsoCodes =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCICKCL"
    "CMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGU"
    "GWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMC"
    "MDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPT"
    "PWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUA"
    "UGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

std::optional<std::uint16_t> parse_port(std::string_view text, bool allow_zero) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(ch - '0');
  }
  if (value > 65535 || (value == 0 && !allow_zero)) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// Replaces "user:password@" in a URL with "***@" so a message never repeats a credential.
std::string redact_userinfo(std::string_view text) {
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::string(text);
  auto start = scheme_end + 3;
  auto authority_end = std::min(text.find_first_of("/?#", start), text.size());
  auto at = text.substr(0, authority_end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(text);
  return std::string(text.substr(0, start)) + "***" + std::string(text.substr(at));
}

bool is_host_name(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '.' || ch == '-' || ch == '_';
  });
}

ParsedUrl url_problem(std::string_view what, std::string_view text) {
  return ParsedUrl{std::nullopt, std::string(what), quote(redact_userinfo(text))};
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// Optimal string alignment distance: Levenshtein plus adjacent transpositions ("kye" -> "key").
std::size_t osa_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// "timeout_connect_ms" and "connect_timeout_ms" both give "connect_ms_timeout".
std::string sorted_words(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = std::min(text.find_first_of("_-", start), text.size());
    words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  std::sort(words.begin(), words.end());
  std::string out;
  for (auto word : words) out.append(word).push_back('_');
  return out;
}

// How far `name` is from `candidate` when it is a plausible typo of it; nullopt otherwise.
std::optional<std::size_t> typo_distance(std::string_view name, std::string_view candidate,
                                         Match match) {
  std::string n = lower(name);
  std::string c = lower(candidate);
  if (sorted_words(n) == sorted_words(c)) return 0;
  std::size_t longest = std::max(n.size(), c.size());
  std::size_t full = osa_distance(n, c);
  // About one edit per four characters: "wrokers", "onprm", "max_conections" are typos;
  // "request_timeout_ms" is not one of "connect_timeout_ms".
  if (full < longest && full <= std::max<std::size_t>(1, longest / 4)) return full;
  // A mistyped or cut-short prefix, ranked behind whole-name matches of the same distance.
  if (match == Match::kWholeOrPrefix && n.size() >= 4 && n.size() < c.size()) {
    std::size_t prefix = osa_distance(n, std::string_view(c).substr(0, n.size()));
    if (prefix <= std::max<std::size_t>(1, n.size() / 4)) return prefix + 1;
  }
  return std::nullopt;
}

}  // namespace

ParsedUrl parse_upstream_url(std::string_view text) {
  auto parsed = urls::parse_uri(urls::string_view(text.data(), text.size()));
  if (!parsed) return url_problem(kNotHttpUrl, text);
  const urls::url_view& u = *parsed;
  if (u.has_userinfo()) {
    return url_problem(
        "must not contain user:password@ (secrets are never read from the file: name an "
        "environment variable with api_key_env)",
        text);
  }
  bool tls = u.scheme_id() == urls::scheme::https;
  bool http = tls || u.scheme_id() == urls::scheme::http;
  bool ip = u.host_type() == urls::host_type::ipv4 || u.host_type() == urls::host_type::ipv6;
  std::string host = u.host_address();
  if (!http || !u.has_authority() || !(ip || (u.host_type() == urls::host_type::name &&
                                             is_host_name(host)))) {
    return url_problem(kNotHttpUrl, text);
  }
  if (u.has_query() || u.has_fragment()) {
    return url_problem("must not have a query (?...) or a fragment (#...)", text);
  }
  std::uint16_t default_port = tls ? 443 : 80;
  std::optional<std::uint16_t> port = default_port;
  if (u.has_port()) port = parse_port(std::string_view(u.port().data(), u.port().size()), false);
  if (!port) return url_problem("port must be between 1 and 65535", text);

  backends::UpstreamUrl url;
  url.tls = tls;
  url.host = host;
  url.port = *port;
  url.base_path = std::string(u.encoded_path());
  while (!url.base_path.empty() && url.base_path.back() == '/') url.base_path.pop_back();
  url.host_header = u.host_type() == urls::host_type::ipv6 ? "[" + host + "]" : host;
  if (*port != default_port) url.host_header += ":" + std::to_string(*port);
  return ParsedUrl{std::move(url), "", ""};
}

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!urls::parse_ipv6_address(urls::string_view(host.data(), host.size()))) return std::nullopt;
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host == "localhost") {
      host = "127.0.0.1";
    } else if (!urls::parse_ipv4_address(urls::string_view(host.data(), host.size()))) {
      return std::nullopt;
    }
  }
  auto port_number = parse_port(port, true);
  if (!port_number) return std::nullopt;
  return ListenAddress{std::string(host), *port_number, std::string(text)};
}

bool is_jurisdiction_code(std::string_view text) {
  if (text.size() != 2 || !std::isupper(static_cast<unsigned char>(text[0])) ||
      !std::isupper(static_cast<unsigned char>(text[1]))) {
    return false;
  }
  for (std::size_t i = 0; i < kIsoCodes.size(); i += 2) {
    if (kIsoCodes.substr(i, 2) == text) return true;
  }
  return false;
}

bool is_env_var_name(std::string_view text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  return std::all_of(text.begin(), text.end(), [](unsigned char ch) {
    return ch < 0x80 && (std::isalnum(ch) || ch == '_');
  });
}

bool is_backend_name(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char ch) {
    return ch < 0x80 && (std::isalnum(ch) || ch == '.' || ch == '_' || ch == '-');
  });
}

std::string nearest_name(std::string_view name, const std::vector<std::string>& candidates,
                         Match match) {
  std::string best;
  std::optional<std::size_t> best_distance;
  for (const auto& candidate : candidates) {
    auto distance = typo_distance(name, candidate, match);
    if (distance && (!best_distance || *distance < *best_distance)) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string quote(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  bool cut = text.size() > kMaxShown;
  if (cut) {
    text = text.substr(0, kMaxShown);
    // Do not split a UTF-8 sequence: drop continuation bytes and the lead byte before them.
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) {
      text.remove_suffix(1);
    }
    if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.remove_suffix(1);
  }
  std::string out = "\"";
  for (char ch : text) {
    auto byte = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", byte);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += cut ? "\"..." : "\"";
  return out;
}

}  // namespace sovgw::config_values
