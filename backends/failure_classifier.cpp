// FailureClassifier: built-in signature table, status defaults, transport-error mapping and the
// parsers for the retry headers (see failure_classifier.hpp).
#include "backends/failure_classifier.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace sovgw::backends {

namespace {

using std::chrono::milliseconds;
using SysTime = std::chrono::system_clock::time_point;
using FC = FailureClass;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower(x) == lower(y);
         });
}

// `needle_lower` is already lower case.
bool icontains(std::string_view haystack, std::string_view needle_lower) {
  return std::search(haystack.begin(), haystack.end(), needle_lower.begin(), needle_lower.end(),
                     [](char h, char n) { return lower(h) == n; }) != haystack.end();
}

std::optional<std::string_view> find_header(std::span<const HttpHeader> headers, std::string_view name) {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A non-negative finite decimal ("1", "1.5"); the whole text must be the number.
std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) || v < 0) {
    return std::nullopt;
  }
  return v;
}

std::optional<int> parse_digits(std::string_view s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || s[0] < '0' || s[0] > '9' || ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

milliseconds ceil_ms(double ms) { return milliseconds(static_cast<long long>(std::ceil(ms))); }

milliseconds until(SysTime when, SysTime now) {
  if (when <= now) return milliseconds(0);
  return std::chrono::ceil<milliseconds>(when - now);
}

std::optional<SysTime> make_time(int y, int mo, int d, int h, int mi, int s) {
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  return sys_days(ymd) + hours(h) + minutes(mi) + seconds(s);
}

// IMF-fixdate, the form RFC 9110 requires senders to use: "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<SysTime> parse_http_date(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  s = trim(s);
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  const auto month = std::find(kMonths.begin(), kMonths.end(), s.substr(8, 3));
  auto d = parse_digits(s.substr(5, 2)), y = parse_digits(s.substr(12, 4));
  auto h = parse_digits(s.substr(17, 2)), mi = parse_digits(s.substr(20, 2)), sec = parse_digits(s.substr(23, 2));
  if (month == kMonths.end() || !d || !y || !h || !mi || !sec) return std::nullopt;
  return make_time(*y, static_cast<int>(month - kMonths.begin()) + 1, *d, *h, *mi, *sec);
}

// RFC 3339: "2024-06-01T12:00:30Z", optional fraction, "Z" or "+hh:mm" / "-hh:mm".
std::optional<SysTime> parse_rfc3339(std::string_view s) {
  s = trim(s);
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  auto y = parse_digits(s.substr(0, 4)), mo = parse_digits(s.substr(5, 2)), d = parse_digits(s.substr(8, 2));
  auto h = parse_digits(s.substr(11, 2)), mi = parse_digits(s.substr(14, 2)), sec = parse_digits(s.substr(17, 2));
  if (!y || !mo || !d || !h || !mi || !sec) return std::nullopt;
  auto t = make_time(*y, *mo, *d, *h, *mi, *sec);
  if (!t) return std::nullopt;
  std::string_view rest = s.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    std::size_t n = 1;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    auto frac = parse_number(std::string("0") + std::string(rest.substr(0, n)));
    if (!frac || n == 1) return std::nullopt;
    *t += std::chrono::duration_cast<SysTime::duration>(std::chrono::duration<double>(*frac));
    rest.remove_prefix(n);
  }
  if (rest == "Z" || rest == "z") return t;
  if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':') return std::nullopt;
  auto oh = parse_digits(rest.substr(1, 2)), om = parse_digits(rest.substr(4, 2));
  if (!oh || !om) return std::nullopt;
  const auto offset = std::chrono::hours(*oh) + std::chrono::minutes(*om);
  return rest[0] == '+' ? *t - offset : *t + offset;
}

// The text of a JSON value at a dotted path; nullopt for null, objects, arrays or absence.
std::optional<std::string> field_text(const boost::json::value* root, std::string_view path) {
  const boost::json::value* v = root;
  while (v != nullptr && !path.empty()) {
    const auto dot = path.find('.');
    const auto key = path.substr(0, dot);
    const auto* obj = v->if_object();
    v = obj ? obj->if_contains(key) : nullptr;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  if (v == nullptr) return std::nullopt;
  if (const auto* s = v->if_string()) return std::string(s->data(), s->size());
  if (const auto* i = v->if_int64()) return std::to_string(*i);
  if (const auto* u = v->if_uint64()) return std::to_string(*u);
  if (const auto* b = v->if_bool()) return *b ? "true" : "false";
  if (const auto* d = v->if_double()) return std::to_string(*d);
  return std::nullopt;
}

// A body that looks like JSON, parsed without exceptions; a top-level array (older Gemini
// responses wrap the error in one) yields its first element.
std::optional<boost::json::value> parse_body(std::string_view body) {
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || (body[first] != '{' && body[first] != '[')) return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec) return std::nullopt;
  if (auto* arr = v.if_array()) {
    if (arr->empty()) return std::nullopt;
    return (*arr)[0];
  }
  return v;
}

// retry-after-ms (float milliseconds, what the official SDKs read first), then retry-after.
std::optional<milliseconds> parse_standard_retry_after(std::span<const HttpHeader> headers, SysTime now) {
  if (auto v = find_header(headers, "retry-after-ms")) {
    if (auto ms = parse_number(*v)) return ceil_ms(*ms);
  }
  if (auto v = find_header(headers, "retry-after")) {
    if (auto secs = parse_number(*v)) return ceil_ms(*secs * 1000);
    if (auto when = parse_http_date(*v)) return until(*when, now);
  }
  return std::nullopt;
}

// `rule.contains` is lower case already (the constructor folds it once).
bool rule_matches(const FailureRule& rule, unsigned status, const boost::json::value* json,
                  std::string_view body) {
  if (rule.status && *rule.status != status) return false;
  if (rule.json_field.empty()) return rule.contains.empty() || icontains(body, rule.contains);
  if (json == nullptr) return false;
  const auto text = field_text(json, rule.json_field);
  if (!text) return false;
  if (!rule.equals.empty() && !iequals(*text, rule.equals)) return false;
  return rule.contains.empty() || icontains(*text, rule.contains);
}

// When no rule matched: the class the status alone implies.
std::pair<FC, const char*> status_default(unsigned status) {
  if (status >= 200 && status < 300) return {FC::kOk, "ok"};
  switch (status) {
    case 400: return {FC::kClientError, "bad_request"};
    case 401: return {FC::kCutOff, "unauthorized"};          // key invalid or revoked
    case 402: return {FC::kCutOff, "payment_required"};      // billing
    case 403: return {FC::kCutOff, "forbidden"};             // region block or no permission
    case 404: return {FC::kClientError, "not_found"};        // unknown model at the provider
    case 408: return {FC::kNetwork, "request_timeout"};      // the upstream timed us out
    case 413: return {FC::kClientError, "payload_too_large"};
    case 422: return {FC::kClientError, "unprocessable"};
    case 429: return {FC::kRateLimited, "rate_limited"};
    case 451: return {FC::kCutOff, "legal_block"};
    case 500: return {FC::kServerError, "internal_error"};
    case 502: return {FC::kServerError, "bad_gateway"};
    case 503: return {FC::kOverloaded, "unavailable"};
    case 504: return {FC::kServerError, "gateway_timeout"};
    case 529: return {FC::kOverloaded, "overloaded"};
    default: break;
  }
  if (status >= 400 && status < 500) return {FC::kClientError, "client_error"};
  if (status >= 500 && status < 600) return {FC::kServerError, "server_error"};
  return {FC::kServerError, "unexpected_status"};  // 1xx/3xx: nothing we can relay
}

const char* network_reason(ErrorCode code, std::string_view detail_lower) {
  auto has = [&](std::string_view s) { return detail_lower.find(s) != std::string_view::npos; };
  switch (code) {
    case ErrorCode::kUpstreamConnect:
      if (has("pool full")) return "pool_full";
      if (has("resolve")) return "dns";
      if (has("timed out") || has("timeout")) return "connect_timeout";
      if (has("refused")) return "connect_refused";
      if (has("closed before") || has("reset")) return "connection_reset";
      return "connect_failed";
    case ErrorCode::kUpstreamTls:
      if (has("certificate") || has("verif")) return "tls_verify";
      if (has("timed out")) return "connect_timeout";
      return "tls_handshake";
    case ErrorCode::kUpstreamTimeout:
      if (has("first-byte") || has("first byte")) return "first_byte_timeout";
      if (has("idle")) return "stream_stall";
      if (has("deadline")) return "deadline";
      return "timeout";
    case ErrorCode::kUpstreamProtocol:
      if (has("larger than")) return "response_too_large";
      if (has("invalid or truncated")) return "protocol_error";
      if (has("reset") || has("connection failed") || has("end of stream") || has("eof")) {
        return "connection_reset";
      }
      return "protocol_error";
    default: return "network";
  }
}

}  // namespace

std::string_view to_string(FailureClass cls) {
  switch (cls) {
    case FC::kOk: return "ok";
    case FC::kClientError: return "client_error";
    case FC::kRateLimited: return "rate_limited";
    case FC::kOverloaded: return "overloaded";
    case FC::kServerError: return "server_error";
    case FC::kNetwork: return "network";
    case FC::kCutOff: return "cut_off";
  }
  return "unknown";
}

std::string rule_problem(const FailureRule& r) {
  if (!r.status && r.json_field.empty() && r.contains.empty()) {
    return "needs at least one of status, json_field, contains";
  }
  if (!r.equals.empty() && r.json_field.empty()) return "equals needs json_field";
  if (r.status && (*r.status < 100 || *r.status > 599)) return "status must be 100..599";
  if (r.reason.empty()) return "reason must not be empty";
  return "";
}

// Order matters where one body could match two rules; each group says why it comes where it does.
const std::vector<FailureRule>& FailureClassifier::builtin_rules() {
  static const std::vector<FailureRule> kRules = {
      // Region blocks first: they arrive as 403 or 400 and must never read as a client error.
      {std::nullopt, "error.code", "unsupported_country_region_territory", "", FC::kCutOff, "region_blocked"},
      {std::nullopt, "", "", "user location is not supported", FC::kCutOff, "region_blocked"},  // Gemini
      // Billing before rate limits: both are 429, and waiting never ends a billing block. The
      // precise codes come before the generic insufficient_quota type that some of them carry.
      {std::nullopt, "error.code", "credit_balance_exhausted", "", FC::kCutOff, "credit_exhausted"},
      {std::nullopt, "error.code", "", "_spend_limit_exceeded", FC::kCutOff, "spend_limit"},
      {std::nullopt, "error.code", "organization_usage_limit_exceeded", "", FC::kCutOff, "usage_limit"},
      {std::nullopt, "error.code", "insufficient_quota", "", FC::kCutOff, "insufficient_quota"},
      {std::nullopt, "error.type", "insufficient_quota", "", FC::kCutOff, "insufficient_quota"},
      {std::nullopt, "error.type", "billing_error", "", FC::kCutOff, "billing_error"},
      // Keys and permissions.
      {std::nullopt, "error.code", "invalid_api_key", "", FC::kCutOff, "invalid_api_key"},
      {std::nullopt, "error.type", "authentication_error", "", FC::kCutOff, "authentication_error"},
      {std::nullopt, "error.type", "permission_error", "", FC::kCutOff, "permission_error"},
      {403, "error.status", "PERMISSION_DENIED", "", FC::kCutOff, "permission_error"},  // Gemini
      // A 429 that waiting cannot cure: this request exceeds the backend's per-minute token limit.
      {429, "", "", "request too large", FC::kRateLimited, "request_too_large", true},
      // The request is at fault.
      {std::nullopt, "error.code", "context_length_exceeded", "", FC::kClientError, "context_length_exceeded"},
      {400, "", "", "prompt is too long", FC::kClientError, "context_length_exceeded"},  // Anthropic
      {std::nullopt, "error.code", "content_policy_violation", "", FC::kClientError, "content_policy"},
      {std::nullopt, "error.code", "content_filter", "", FC::kClientError, "content_policy"},
      // Capacity and pacing.
      {std::nullopt, "error.type", "overloaded_error", "", FC::kOverloaded, "overloaded"},
      {std::nullopt, "error.code", "server_is_overloaded", "", FC::kOverloaded, "overloaded"},
      {429, "error.code", "slow_down", "", FC::kRateLimited, "slow_down"},
  };
  return kRules;
}

FailureClassifier::FailureClassifier(std::vector<FailureRule> operator_rules) : rules_(std::move(operator_rules)) {
  const auto& builtin = builtin_rules();
  rules_.insert(rules_.end(), builtin.begin(), builtin.end());
  for (auto& r : rules_) r.contains = to_lower(r.contains);
}

Classification FailureClassifier::classify(const Error& error) const {
  switch (error.code) {
    case ErrorCode::kUpstreamConnect:
    case ErrorCode::kUpstreamTls:
    case ErrorCode::kUpstreamTimeout:
    case ErrorCode::kUpstreamProtocol: {
      // Skip the "backend <name>: " prefix so a backend's name cannot steer the reason.
      std::string_view detail = error.detail;
      if (detail.starts_with("backend ")) {
        if (auto colon = detail.find(": "); colon != std::string_view::npos) detail.remove_prefix(colon + 2);
      }
      return {FC::kNetwork, network_reason(error.code, to_lower(detail)), std::nullopt, error.retryable};
    }
    case ErrorCode::kUpstreamStatus:
      return {FC::kServerError, "upstream_status", std::nullopt, error.retryable};
    case ErrorCode::kClientGone:
      return {FC::kClientError, "client_gone", std::nullopt, false};
    default:  // local errors: not the backend's doing
      return {FC::kClientError, "local_error", std::nullopt, false};
  }
}

Classification FailureClassifier::classify(unsigned status, std::span<const HttpHeader> headers,
                                           std::string_view body, SysTime now) const {
  Classification c;
  if (status >= 200 && status < 300) {
    c.reason = "ok";
    return c;
  }
  const auto json = parse_body(body);
  const boost::json::value* root = json ? &*json : nullptr;
  const auto match = std::find_if(rules_.begin(), rules_.end(),
                                  [&](const FailureRule& r) { return rule_matches(r, status, root, body); });
  if (match != rules_.end()) {
    c.cls = match->cls;
    c.reason = match->reason;
    c.request_only = match->request_only;
  } else {
    auto [cls, reason] = status_default(status);
    c.cls = cls;
    c.reason = reason;
  }
  // Capacity, server and rate-limit failures may clear on the same backend; the request's own
  // faults and cut-offs never do.
  c.retry_same_backend = !c.request_only && (c.cls == FC::kRateLimited || c.cls == FC::kOverloaded ||
                                             c.cls == FC::kServerError || c.cls == FC::kNetwork);
  if (auto should = find_header(headers, "x-should-retry"); should && iequals(trim(*should), "false")) {
    c.retry_same_backend = false;
  }
  // The x-ratelimit / anthropic-ratelimit reset headers ride on every response; they only say
  // when to come back after a rate limit. Retry-After means what it says on any status (503).
  if (c.cls == FC::kRateLimited && !c.request_only) {
    c.retry_after = parse_retry_after(headers, now);
  } else if (c.cls != FC::kRateLimited) {
    c.retry_after = parse_standard_retry_after(headers, now);
  }
  return c;
}

std::optional<milliseconds> parse_go_duration(std::string_view text) {
  text = trim(text);
  if (text == "0") return milliseconds(0);
  double total_ms = 0;
  bool any = false;
  while (!text.empty()) {
    std::size_t n = 0;
    while (n < text.size() && ((text[n] >= '0' && text[n] <= '9') || text[n] == '.')) ++n;
    auto value = parse_number(text.substr(0, n));
    if (!value) return std::nullopt;
    text.remove_prefix(n);
    std::size_t u = 0;
    while (u < text.size() && !((text[u] >= '0' && text[u] <= '9') || text[u] == '.')) ++u;
    const auto unit = text.substr(0, u);
    text.remove_prefix(u);
    double scale = 0;
    if (unit == "ns") scale = 1e-6;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") scale = 1e-3;
    else if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1e3;
    else if (unit == "m") scale = 60e3;
    else if (unit == "h") scale = 3600e3;
    else return std::nullopt;
    total_ms += *value * scale;
    any = true;
  }
  if (!any) return std::nullopt;
  return ceil_ms(total_ms);
}

std::optional<milliseconds> parse_retry_after(std::span<const HttpHeader> headers, SysTime now) {
  if (auto standard = parse_standard_retry_after(headers, now)) return standard;
  // Several limits may be reported; the caller cannot tell which one it hit, so wait for the last.
  std::optional<milliseconds> longest;
  auto keep = [&](std::optional<milliseconds> d) {
    if (d && (!longest || *d > *longest)) longest = d;
  };
  for (const auto& h : headers) {
    const auto name = to_lower(h.name);
    if (name.starts_with("x-ratelimit-reset-")) {
      keep(parse_go_duration(h.value));
    } else if (name.starts_with("anthropic-ratelimit-") && name.ends_with("-reset")) {
      if (auto when = parse_rfc3339(h.value)) keep(until(*when, now));
    }
  }
  return longest;
}

}  // namespace sovgw::backends
