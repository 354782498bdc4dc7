// Result<T> and Error: how every sovgw layer reports an expected failure as a value.
// An Error records what failed (a closed ErrorCode), where (ErrorSource) and whether a retry on
// another connection or target is safe, so retry loops stay simple. Exceptions are for bugs only.
//
//   Result<int> parse_port(std::string_view s);
//   auto r = parse_port("80");
//   if (!r) log(r.error().detail); else use(*r);
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sovgw {

// Closed vocabulary. gateway/openai_error.cpp maps each code to an HTTP status and an OpenAI error
// body in one switch without `default:`, so adding a code forces a decision there.
enum class ErrorCode {
  kInvalidRequest,       // malformed JSON, missing field, bad header value
  kModelNotFound,        // request names a model that is not configured
  kNotFound,             // unknown route
  kMethodNotAllowed,     // known route, wrong method
  kPayloadTooLarge,      // request body over gateway.max_body_bytes
  kHeadersTooLarge,      // request header over gateway.max_header_bytes
  kRequestTimeout,       // client too slow to send its request
  kTooManyConnections,   // gateway.max_connections reached
  kUpstreamConnect,      // DNS, refused, reset before anything was sent back, connect timeout
  kUpstreamTls,          // TLS handshake or certificate verification failed
  kUpstreamProtocol,     // upstream broke HTTP or sent something we cannot relay
  kUpstreamTimeout,      // first-byte, stream-idle or total timeout at the upstream
  kUpstreamStatus,       // upstream answered with an error status we do not pass through
  kNoTarget,             // no target of the model could be tried
  kRateLimited,          // every target of the model is rate limited (busy) right now
  kUnauthorized,         // no or unknown gateway API key (when [[tenants]] are configured)
  kPiiEgressBlocked,     // the policy forbids every target because of the PII in the request
  kPolicyDenied,         // the policy forbids every target for another reason (tenant, data class)
  kClientGone,           // the client disconnected; nothing to answer
  kInternal,             // a bug or a resource failure inside sovgw
};

// Where the failure happened (Pingora's downstream / upstream / internal split).
enum class ErrorSource { kDownstream, kUpstream, kInternal };

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  ErrorSource source = ErrorSource::kInternal;
  bool retryable = false;  // safe to try again on a fresh connection or the next target
  std::string detail;      // for logs; may name hosts and errno text, never keys or prompt text
};

inline Error make_error(ErrorCode code, ErrorSource source, bool retryable, std::string detail) {
  return Error{code, source, retryable, std::move(detail)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
struct Ok {};
using Status = Result<Ok>;

}  // namespace sovgw
