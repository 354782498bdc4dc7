// FailureClassifier: turns each upstream attempt (a transport Error, or an HTTP status + headers +
// body) into exactly one FailureClass with a fixed reason string for logs, metrics labels and audit.
// Sits between the upstream exchange and the failover loop / BackendHealth. Immutable after
// construction: one instance may be shared by all worker threads without synchronisation.
//
//   FailureClassifier classifier(operator_rules);           // operator rules win over built-ins
//   auto c = classifier.classify(status, headers, body, std::chrono::system_clock::now());
//   health.record(c, steady_now, admission.is_probe);   // every attempt, ok included
//   if (c.cls == FailureClass::kCutOff) ...              // kill switch: fail over, alert
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace sovgw::backends {

enum class FailureClass {
  kOk,           // 2xx
  kClientError,  // the request itself is at fault; not retried on the same model
  kRateLimited,  // 429 rate limit: the backend is busy until retry_after
  kOverloaded,   // capacity: 503, 529, server_is_overloaded
  kServerError,  // other 5xx (the body may be HTML)
  kNetwork,      // no usable response: refused, reset, DNS, TLS, timeouts, stall
  kCutOff,       // the provider refuses *us*: key, region, billing, legal block
};

// "ok", "client_error", "rate_limited", "overloaded", "server_error", "network", "cut_off".
std::string_view to_string(FailureClass cls);

// One signature. A rule matches when every part that is set matches:
//   status     — the HTTP status equals it;
//   json_field — a dotted path into the JSON body ("error.code", "error.type", "error.status");
//                strings, numbers and booleans compare as text, null or absent never matches;
//   equals     — the field's text equals it (case-insensitive); needs json_field;
//   contains   — a case-insensitive substring of the field's text, or of the whole body when
//                json_field is empty.
// At least one of status / json_field / contains must be set (see rule_problem()).
struct FailureRule {
  std::optional<unsigned> status;
  std::string json_field;
  std::string equals;
  std::string contains;
  FailureClass cls = FailureClass::kServerError;
  std::string reason;          // fixed snake_case text: it becomes a metrics label
  bool request_only = false;   // says nothing about the backend (429 "Request too large")
};

// "" when the rule is usable, else what is wrong with it (for the config loader's message).
std::string rule_problem(const FailureRule& rule);

struct Classification {
  FailureClass cls = FailureClass::kOk;
  std::string reason;  // fixed text from the rule or status table, never upstream text
  // Server-directed delay: Retry-After / retry-after-ms on any status; for kRateLimited also the
  // x-ratelimit-reset-* and anthropic-ratelimit-*-reset headers (they ride on every response).
  std::optional<std::chrono::milliseconds> retry_after;
  // A retry on this backend may succeed (after retry_after): rate limits, capacity, server and
  // retryable network failures; never client errors or cut-offs; `x-should-retry: false` clears it.
  bool retry_same_backend = false;
  // The failure concerns this request only: fail over, do not retry here, and leave the
  // backend's health alone (e.g. 429 "Request too large" for the backend's token limit).
  bool request_only = false;
};

// A response header; names compare case-insensitively. Views into the caller's response.
struct HttpHeader {
  std::string_view name;
  std::string_view value;
};

class FailureClassifier {
 public:
  // Operator rules are checked first, in order, then the built-in table; first match wins.
  explicit FailureClassifier(std::vector<FailureRule> operator_rules = {});

  // No usable HTTP response: kUpstream* codes map to kNetwork with a reason derived from the code
  // and detail (connect_refused, dns, connect_timeout, connection_reset, tls_verify,
  // tls_handshake, first_byte_timeout, stream_stall, deadline, protocol_error, ...). Codes that
  // are not the backend's doing (kClientGone, local errors) map to kClientError so they neither
  // count against the backend nor get retried.
  Classification classify(const Error& transport_error) const;

  // An HTTP response. `body` is the (capped) error body: JSON, HTML or empty; it is not examined
  // for 2xx. `now` (wall clock, injected) anchors HTTP-date and RFC 3339 reset headers.
  Classification classify(unsigned status, std::span<const HttpHeader> headers, std::string_view body,
                          std::chrono::system_clock::time_point now) const;

  // The table that ships with sovgw, in match order.
  static const std::vector<FailureRule>& builtin_rules();

 private:
  std::vector<FailureRule> rules_;  // operator rules, then built-in rules
};

// Server-directed delay after a rate limit, in precedence order: retry-after-ms (float ms), retry-after (seconds or
// IMF-fixdate HTTP-date), the longest of x-ratelimit-reset-{requests,tokens,tokens_usage_based}
// (Go durations), the latest of anthropic-ratelimit-*-reset (RFC 3339). Past times give 0.
std::optional<std::chrono::milliseconds> parse_retry_after(std::span<const HttpHeader> headers,
                                                           std::chrono::system_clock::time_point now);

// Go-style duration ("6ms", "1.5s", "1m30s", "250us"), rounded up to whole milliseconds.
std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text);

}  // namespace sovgw::backends
