#include "gateway/openai_error.hpp"

#include <boost/json.hpp>

namespace sovgw {

unsigned http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest: return 400;
    case ErrorCode::kModelNotFound: return 404;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kMethodNotAllowed: return 405;
    case ErrorCode::kPayloadTooLarge: return 413;
    case ErrorCode::kHeadersTooLarge: return 431;
    case ErrorCode::kRequestTimeout: return 408;
    case ErrorCode::kTooManyConnections: return 503;
    case ErrorCode::kUpstreamConnect: return 502;
    case ErrorCode::kUpstreamTls: return 502;
    case ErrorCode::kUpstreamProtocol: return 502;
    case ErrorCode::kUpstreamTimeout: return 504;
    case ErrorCode::kUpstreamStatus: return 502;
    case ErrorCode::kNoTarget: return 503;
    case ErrorCode::kRateLimited: return 429;
    case ErrorCode::kUnauthorized: return 401;
    case ErrorCode::kPiiEgressBlocked: return 403;
    case ErrorCode::kPolicyDenied: return 403;
    case ErrorCode::kClientGone: return 499;  // never sent; nginx's code for the access log
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

std::string_view error_type(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest:
    case ErrorCode::kModelNotFound:
    case ErrorCode::kNotFound:
    case ErrorCode::kMethodNotAllowed:
    case ErrorCode::kPayloadTooLarge:
    case ErrorCode::kHeadersTooLarge:
    case ErrorCode::kRequestTimeout: return "invalid_request_error";
    case ErrorCode::kTooManyConnections: return "service_unavailable_error";
    case ErrorCode::kUpstreamConnect:
    case ErrorCode::kUpstreamTls:
    case ErrorCode::kUpstreamProtocol:
    case ErrorCode::kUpstreamStatus: return "upstream_error";
    case ErrorCode::kNoTarget: return "service_unavailable_error";
    case ErrorCode::kRateLimited: return "rate_limit_error";
    case ErrorCode::kUnauthorized: return "invalid_request_error";  // what OpenAI sends for a bad key
    case ErrorCode::kPiiEgressBlocked:
    case ErrorCode::kPolicyDenied: return "permission_error";
    case ErrorCode::kUpstreamTimeout: return "timeout_error";
    case ErrorCode::kClientGone:
    case ErrorCode::kInternal: return "server_error";
  }
  return "server_error";
}

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidRequest: return "invalid_request";
    case ErrorCode::kModelNotFound: return "model_not_found";
    case ErrorCode::kNotFound: return "unknown_url";
    case ErrorCode::kMethodNotAllowed: return "method_not_allowed";
    case ErrorCode::kPayloadTooLarge: return "request_too_large";
    case ErrorCode::kHeadersTooLarge: return "request_header_too_large";
    case ErrorCode::kRequestTimeout: return "request_timeout";
    case ErrorCode::kTooManyConnections: return "too_many_connections";
    case ErrorCode::kUpstreamConnect: return "upstream_unreachable";
    case ErrorCode::kUpstreamTls: return "upstream_tls_error";
    case ErrorCode::kUpstreamProtocol: return "upstream_protocol_error";
    case ErrorCode::kUpstreamTimeout: return "upstream_timeout";
    case ErrorCode::kUpstreamStatus: return "upstream_error";
    case ErrorCode::kNoTarget: return "no_available_target";
    case ErrorCode::kRateLimited: return "rate_limit_exceeded";
    case ErrorCode::kUnauthorized: return "invalid_api_key";
    case ErrorCode::kPiiEgressBlocked: return "pii_egress_blocked";
    case ErrorCode::kPolicyDenied: return "policy_denied";
    case ErrorCode::kClientGone: return "client_closed_request";
    case ErrorCode::kInternal: return "internal_error";
  }
  return "internal_error";
}

namespace {

boost::json::object error_object(ErrorCode code, std::string_view message, std::optional<std::string_view> param) {
  boost::json::object err;
  err["message"] = message;
  err["type"] = error_type(code);
  err["param"] = param ? boost::json::value(*param) : boost::json::value(nullptr);
  err["code"] = error_code_name(code);
  return err;
}

}  // namespace

ClientError to_client_error(ErrorCode code, std::string_view message, std::optional<std::string_view> param) {
  boost::json::object root;
  root["error"] = error_object(code, message, param);
  return ClientError{http_status(code), boost::json::serialize(root)};
}

std::string sse_error_event(ErrorCode code, std::string_view message) {
  boost::json::object root;
  root["error"] = error_object(code, message, std::nullopt);
  return "data: " + boost::json::serialize(root) + "\n\n";
}

}  // namespace sovgw
