// FailureClassifier tests: real-format provider error bodies (provider-wire-formats.md §1, §2, §9)
// → one class and reason each; transport errors → network reasons; operator rules override the
// built-in table; every retry-after header format, on an injected wall clock.
#include "backends/failure_classifier.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

namespace sovgw::backends {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// 2024-06-01T12:00:00Z, the injected "now" for date-based headers.
const std::chrono::system_clock::time_point kNow =
    std::chrono::sys_days(std::chrono::year(2024) / 6 / 1) + std::chrono::hours(12);

struct HttpCase {
  const char* name;
  unsigned status;
  std::vector<HttpHeader> headers;
  std::string body;
  FailureClass cls;
  const char* reason;
  std::optional<milliseconds> retry_after;
  bool retry_same_backend;
  bool request_only = false;
};

const char kHtml502[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
    "Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";

std::vector<HttpCase> http_cases() {
  return {
      {"200 is ok whatever the body", 200, {}, "{\"error\":{\"code\":\"invalid_api_key\"}}", FailureClass::kOk,
       "ok", std::nullopt, false},
      {"OpenAI 403 unsupported_country_region_territory", 403, {},
       R"({"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}})",
       FailureClass::kCutOff, "region_blocked", std::nullopt, false},
      {"OpenAI 401 invalid_api_key", 401, {},
       R"({"error":{"message":"Incorrect API key provided: sk-abc123***************xyz. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
       FailureClass::kCutOff, "invalid_api_key", std::nullopt, false},
      {"OpenAI 429 rate_limit_exceeded with Retry-After", 429, {{"Retry-After", "20"}},
       R"({"error":{"message":"Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.","type":"requests","param":null,"code":"rate_limit_exceeded"}})",
       FailureClass::kRateLimited, "rate_limited", 20s, true},
      {"OpenAI 429 insufficient_quota", 429, {{"retry-after", "1"}},
       R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})",
       FailureClass::kCutOff, "insufficient_quota", 1s, false},
      {"OpenAI 429 credit_balance_exhausted (type insufficient_quota)", 429, {},
       R"({"error":{"message":"Your credit balance is too low.","type":"insufficient_quota","param":null,"code":"credit_balance_exhausted"}})",
       FailureClass::kCutOff, "credit_exhausted", std::nullopt, false},
      {"OpenAI 429 project_spend_limit_exceeded", 429, {},
       R"({"error":{"message":"You have exceeded your project's monthly spend limit.","type":"insufficient_quota","param":null,"code":"project_spend_limit_exceeded"}})",
       FailureClass::kCutOff, "spend_limit", std::nullopt, false},
      {"OpenAI 429 organization_usage_limit_exceeded", 429, {},
       R"({"error":{"code":"organization_usage_limit_exceeded","message":"Usage limit reached.","type":"insufficient_quota","param":null}})",
       FailureClass::kCutOff, "usage_limit", std::nullopt, false},
      {"OpenAI 503 server_is_overloaded", 503, {},
       R"({"error":{"message":"The server is overloaded or not ready yet.","type":"service_unavailable_error","param":null,"code":"server_is_overloaded"}})",
       FailureClass::kOverloaded, "overloaded", std::nullopt, true},
      {"Anthropic 529 overloaded_error", 529, {{"x-should-retry", "true"}},
       R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_018EeWyXxfu5pfWkrYcMdjWG"})",
       FailureClass::kOverloaded, "overloaded", std::nullopt, true},
      {"Anthropic 403 permission_error", 403, {},
       R"({"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."},"request_id":"req_01"})",
       FailureClass::kCutOff, "permission_error", std::nullopt, false},
      {"Anthropic 401 authentication_error", 401, {},
       R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})",
       FailureClass::kCutOff, "authentication_error", std::nullopt, false},
      {"Anthropic 402 billing_error", 402, {},
       R"({"type":"error","error":{"type":"billing_error","message":"Your credit balance is too low to access the Anthropic API."}})",
       FailureClass::kCutOff, "billing_error", std::nullopt, false},
      {"Anthropic 400 invalid_request_error prompt is too long", 400, {},
       R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 215438 tokens > 200000 maximum"}})",
       FailureClass::kClientError, "context_length_exceeded", std::nullopt, false},
      {"Anthropic 404 not_found_error (unknown model)", 404, {},
       R"({"type":"error","error":{"type":"not_found_error","message":"model: claude-9"}})",
       FailureClass::kClientError, "not_found", std::nullopt, false},
      {"Anthropic 413 request_too_large from Cloudflare", 413, {},
       R"({"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}})",
       FailureClass::kClientError, "payload_too_large", std::nullopt, false},
      {"OpenAI 400 context_length_exceeded", 400, {},
       R"({"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens. Please reduce the length of the messages.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})",
       FailureClass::kClientError, "context_length_exceeded", std::nullopt, false},
      {"OpenAI 400 content_policy_violation", 400, {},
       R"({"error":{"code":"content_policy_violation","message":"Your request was rejected as a result of our safety system.","param":null,"type":"invalid_request_error"}})",
       FailureClass::kClientError, "content_policy", std::nullopt, false},
      {"OpenAI 422 unprocessable", 422, {}, R"({"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}})",
       FailureClass::kClientError, "unprocessable", std::nullopt, false},
      {"Gemini 400 FAILED_PRECONDITION user location (numeric error.code)", 400, {},
       R"({"error":{"code":400,"message":"User location is not supported for the API use.","status":"FAILED_PRECONDITION"}})",
       FailureClass::kCutOff, "region_blocked", std::nullopt, false},
      {"Gemini 403 PERMISSION_DENIED wrapped in an array", 403, {},
       R"([{"error":{"code":403,"message":"Method doesn't allow unregistered callers.","status":"PERMISSION_DENIED"}}])",
       FailureClass::kCutOff, "permission_error", std::nullopt, false},
      {"451 unavailable for legal reasons, empty body", 451, {}, "", FailureClass::kCutOff, "legal_block",
       std::nullopt, false},
      {"502 with an HTML body", 502, {{"content-type", "text/html"}}, kHtml502, FailureClass::kServerError,
       "bad_gateway", std::nullopt, true},
      {"500 relayed with integer code", 500, {}, R"({"error":{"message":"Bad gateway.","type":"server_error","param":null,"code":502}})",
       FailureClass::kServerError, "internal_error", std::nullopt, true},
      {"504 empty body", 504, {}, "", FailureClass::kServerError, "gateway_timeout", std::nullopt, true},
      {"503 with Retry-After", 503, {{"Retry-After", "30"}}, "", FailureClass::kOverloaded, "unavailable", 30s, true},
      {"429 Request too large: fail over, do not retry, not busy", 429,
       {{"x-ratelimit-reset-tokens", "40s"}},
       R"({"error":{"message":"Request too large for gpt-4 in organization org-abc on tokens per min (TPM): Limit 10000, Requested 15000. The input or output tokens must be reduced in order to run successfully.","type":"tokens","param":null,"code":"rate_limit_exceeded"}})",
       FailureClass::kRateLimited, "request_too_large", std::nullopt, false, true},
      {"x-should-retry false disables same-backend retry", 503, {{"X-Should-Retry", "false"}}, "",
       FailureClass::kOverloaded, "unavailable", std::nullopt, false},
      {"5xx ignores rate-limit reset headers", 500, {{"x-ratelimit-reset-requests", "6ms"}}, "not json",
       FailureClass::kServerError, "internal_error", std::nullopt, true},
      {"malformed JSON falls back to the status", 401, {}, R"({"error":{"code":)", FailureClass::kCutOff,
       "unauthorized", std::nullopt, false},
      {"unknown 4xx is a client error", 418, {}, "", FailureClass::kClientError, "client_error", std::nullopt,
       false},
      {"3xx is unexpected", 302, {{"location", "https://elsewhere"}}, "", FailureClass::kServerError,
       "unexpected_status", std::nullopt, true},
  };
}

TEST_CASE("HTTP responses classify by signature, then by status") {
  const FailureClassifier classifier;
  for (const auto& row : http_cases()) {
    CAPTURE(row.name);
    const auto c = classifier.classify(row.status, row.headers, row.body, kNow);
    CHECK(to_string(c.cls) == to_string(row.cls));
    CHECK(c.reason == row.reason);
    CHECK(c.retry_after == row.retry_after);
    CHECK(c.retry_same_backend == row.retry_same_backend);
    CHECK(c.request_only == row.request_only);
  }
}

TEST_CASE("transport errors classify as network with a reason from code and detail") {
  struct Row {
    ErrorCode code;
    bool retryable;
    const char* detail;
    FailureClass cls;
    const char* reason;
  };
  const Row rows[] = {
      {ErrorCode::kUpstreamConnect, true, "backend refused-proxy: connect to 10.0.0.1:443: Connection refused",
       FailureClass::kNetwork, "connect_refused"},
      {ErrorCode::kUpstreamConnect, true, "backend b: resolve api.openai.com:443: Host not found (authoritative)",
       FailureClass::kNetwork, "dns"},
      {ErrorCode::kUpstreamConnect, true, "backend b: connect to 10.0.0.1:443: timed out", FailureClass::kNetwork,
       "connect_timeout"},
      {ErrorCode::kUpstreamConnect, true, "backend b: connection closed before any response (end of stream)",
       FailureClass::kNetwork, "connection_reset"},
      {ErrorCode::kUpstreamConnect, true, "backend b: connection pool full (max_connections=4)",
       FailureClass::kNetwork, "pool_full"},
      {ErrorCode::kUpstreamTls, true,
       "backend b: TLS handshake with api.openai.com: certificate verify failed (certificate: unable to get "
       "local issuer certificate)",
       FailureClass::kNetwork, "tls_verify"},
      {ErrorCode::kUpstreamTls, true, "backend b: TLS handshake with h: wrong version number",
       FailureClass::kNetwork, "tls_handshake"},
      {ErrorCode::kUpstreamTimeout, true,
       "backend b: no response within 120000 ms (first-byte timeout) while waiting for the response header",
       FailureClass::kNetwork, "first_byte_timeout"},
      {ErrorCode::kUpstreamTimeout, true,
       "backend b: no data for 15000 ms (idle timeout) while reading the response body", FailureClass::kNetwork,
       "stream_stall"},
      {ErrorCode::kUpstreamTimeout, true, "backend b: request deadline reached while reading the response body",
       FailureClass::kNetwork, "deadline"},
      {ErrorCode::kUpstreamProtocol, true,
       "backend b: connection failed while reading the response body (Connection reset by peer)",
       FailureClass::kNetwork, "connection_reset"},
      {ErrorCode::kUpstreamProtocol, true,
       "backend b: invalid or truncated HTTP response while waiting for the response header (bad version)",
       FailureClass::kNetwork, "protocol_error"},
      {ErrorCode::kUpstreamProtocol, false, "backend b: response body larger than 1048576 bytes",
       FailureClass::kNetwork, "response_too_large"},
      {ErrorCode::kClientGone, false, "backend b: request cancelled", FailureClass::kClientError, "client_gone"},
      {ErrorCode::kInternal, false, "bug", FailureClass::kClientError, "local_error"},
  };
  const FailureClassifier classifier;
  for (const auto& row : rows) {
    CAPTURE(row.detail);
    const auto c = classifier.classify(make_error(row.code, ErrorSource::kUpstream, row.retryable, row.detail));
    CHECK(to_string(c.cls) == to_string(row.cls));
    CHECK(c.reason == row.reason);
    CHECK(c.retry_same_backend == (row.cls == FailureClass::kNetwork && row.retryable));
    CHECK_FALSE(c.retry_after.has_value());
  }
}

TEST_CASE("operator rules are checked before the built-in table") {
  // A provider starts answering a region block with a new 451-free wording on 400.
  const std::vector<FailureRule> rules = {
      {400, "", "", "NOT AVAILABLE IN YOUR REGION", FailureClass::kCutOff, "region_blocked_v2", false},
      // Override a built-in: treat 529 overloaded_error as a plain server error.
      {529, "error.type", "overloaded_error", "", FailureClass::kServerError, "anthropic_529", false},
      // Match a field by substring.
      {std::nullopt, "error.message", "", "maintenance", FailureClass::kOverloaded, "maintenance", false},
  };
  for (const auto& r : rules) CHECK(rule_problem(r).empty());
  const FailureClassifier with_rules(rules);
  const FailureClassifier builtin_only;

  const std::string region = R"({"error":{"message":"This service is not available in your region."}})";
  CHECK(with_rules.classify(400, {}, region, kNow).reason == "region_blocked_v2");
  CHECK(with_rules.classify(400, {}, region, kNow).cls == FailureClass::kCutOff);
  CHECK(builtin_only.classify(400, {}, region, kNow).cls == FailureClass::kClientError);

  const std::string overloaded = R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})";
  CHECK(with_rules.classify(529, {}, overloaded, kNow).reason == "anthropic_529");
  CHECK(with_rules.classify(529, {}, overloaded, kNow).cls == FailureClass::kServerError);
  CHECK(builtin_only.classify(529, {}, overloaded, kNow).cls == FailureClass::kOverloaded);

  const std::string maint = R"({"error":{"message":"Scheduled MAINTENANCE until 14:00","code":null}})";
  CHECK(with_rules.classify(500, {}, maint, kNow).reason == "maintenance");
  CHECK(builtin_only.classify(500, {}, maint, kNow).reason == "internal_error");
}

TEST_CASE("rule_problem rejects unusable rules") {
  CHECK(rule_problem({std::nullopt, "", "", "", FailureClass::kCutOff, "x", false}) ==
        "needs at least one of status, json_field, contains");
  CHECK(rule_problem({400, "", "abc", "", FailureClass::kCutOff, "x", false}) == "equals needs json_field");
  CHECK(rule_problem({99, "", "", "", FailureClass::kCutOff, "x", false}) == "status must be 100..599");
  CHECK(rule_problem({400, "", "", "", FailureClass::kCutOff, "", false}) == "reason must not be empty");
  for (const auto& r : FailureClassifier::builtin_rules()) CHECK(rule_problem(r).empty());
}

TEST_CASE("retry_after from every header format") {
  struct Row {
    const char* name;
    std::vector<HttpHeader> headers;
    std::optional<milliseconds> expected;
  };
  const Row rows[] = {
      {"retry-after-ms float", {{"retry-after-ms", "1500.2"}}, 1501ms},
      {"retry-after-ms wins over retry-after", {{"Retry-After", "9"}, {"retry-after-ms", "250"}}, 250ms},
      {"retry-after integer seconds", {{"Retry-After", "20"}}, 20s},
      {"retry-after float seconds", {{"retry-after", " 1.5 "}}, 1500ms},
      {"retry-after HTTP-date", {{"Retry-After", "Sat, 01 Jun 2024 12:00:45 GMT"}}, 45s},
      {"retry-after HTTP-date in the past", {{"Retry-After", "Sat, 01 Jun 2024 11:59:00 GMT"}}, 0ms},
      {"retry-after garbage ignored, reset used", {{"retry-after", "soon"}, {"x-ratelimit-reset-requests", "6ms"}},
       6ms},
      {"negative retry-after ignored", {{"retry-after", "-3"}}, std::nullopt},
      {"x-ratelimit-reset Go ms", {{"x-ratelimit-reset-tokens", "40ms"}}, 40ms},
      {"x-ratelimit-reset Go fractional seconds", {{"x-ratelimit-reset-requests", "1.5s"}}, 1500ms},
      {"x-ratelimit-reset Go minutes and seconds", {{"x-ratelimit-reset-tokens", "1m30s"}}, 90s},
      {"x-ratelimit-reset longest of several",
       {{"x-ratelimit-reset-requests", "6ms"}, {"x-ratelimit-reset-tokens", "2s"},
        {"x-ratelimit-reset-tokens_usage_based", "1h0m0s"}},
       3600s},
      {"anthropic reset RFC 3339 Z", {{"anthropic-ratelimit-requests-reset", "2024-06-01T12:00:30Z"}}, 30s},
      {"anthropic reset with fraction and offset",
       {{"anthropic-ratelimit-tokens-reset", "2024-06-01T14:00:01.5+02:00"},
        {"anthropic-ratelimit-input-tokens-reset", "2024-06-01T12:00:00Z"}},
       1500ms},
      {"no headers", {{"x-request-id", "req_1"}}, std::nullopt},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    CHECK(parse_retry_after(row.headers, kNow) == row.expected);
    // And through the classifier, on a 429 rate limit.
    const FailureClassifier classifier;
    CHECK(classifier.classify(429, row.headers, "", kNow).retry_after == row.expected);
  }
}

TEST_CASE("Go durations") {
  CHECK(parse_go_duration("0") == 0ms);
  CHECK(parse_go_duration("6ms") == 6ms);
  CHECK(parse_go_duration("250us") == 1ms);  // rounded up: never retry early
  CHECK(parse_go_duration("2h1m") == 7260s);
  CHECK(parse_go_duration("1.5s") == 1500ms);
  CHECK_FALSE(parse_go_duration("").has_value());
  CHECK_FALSE(parse_go_duration("5").has_value());
  CHECK_FALSE(parse_go_duration("5d").has_value());
  CHECK_FALSE(parse_go_duration("ms").has_value());
}

TEST_CASE("to_string gives the metrics labels") {
  CHECK(to_string(FailureClass::kOk) == "ok");
  CHECK(to_string(FailureClass::kClientError) == "client_error");
  CHECK(to_string(FailureClass::kRateLimited) == "rate_limited");
  CHECK(to_string(FailureClass::kOverloaded) == "overloaded");
  CHECK(to_string(FailureClass::kServerError) == "server_error");
  CHECK(to_string(FailureClass::kNetwork) == "network");
  CHECK(to_string(FailureClass::kCutOff) == "cut_off");
}

}  // namespace
}  // namespace sovgw::backends
