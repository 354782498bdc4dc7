// sovgw's own errors reach clients in OpenAI's shape, with the documented status and code.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "gateway/openai_error.hpp"

using sovgw::ErrorCode;

TEST_CASE("each client-visible error has the documented status, type and code") {
  struct Row {
    ErrorCode code;
    unsigned status;
    const char* type;
    const char* name;
  };
  const Row rows[] = {
      {ErrorCode::kInvalidRequest, 400, "invalid_request_error", "invalid_request"},
      {ErrorCode::kModelNotFound, 404, "invalid_request_error", "model_not_found"},
      {ErrorCode::kPayloadTooLarge, 413, "invalid_request_error", "request_too_large"},
      {ErrorCode::kHeadersTooLarge, 431, "invalid_request_error", "request_header_too_large"},
      {ErrorCode::kRequestTimeout, 408, "invalid_request_error", "request_timeout"},
      {ErrorCode::kTooManyConnections, 503, "service_unavailable_error", "too_many_connections"},
      {ErrorCode::kUpstreamConnect, 502, "upstream_error", "upstream_unreachable"},
      {ErrorCode::kUpstreamTls, 502, "upstream_error", "upstream_tls_error"},
      {ErrorCode::kUpstreamTimeout, 504, "timeout_error", "upstream_timeout"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    auto error = sovgw::to_client_error(row.code, "message text", "model");
    CHECK(error.status == row.status);
    auto body = boost::json::parse(error.body).as_object();
    const auto& err = body.at("error").as_object();
    CHECK(err.at("message").as_string() == "message text");
    CHECK(err.at("type").as_string() == row.type);
    CHECK(err.at("code").as_string() == row.name);
    CHECK(err.at("param").as_string() == "model");
  }
}

TEST_CASE("param is null when no field is at fault") {
  auto error = sovgw::to_client_error(ErrorCode::kUpstreamConnect, "down");
  CHECK(boost::json::parse(error.body).at("error").at("param").is_null());
}

TEST_CASE("the in-band SSE error event is one data line the OpenAI SDKs recognise") {
  auto event = sovgw::sse_error_event(ErrorCode::kUpstreamProtocol, "cut \"short\"\nhere");
  REQUIRE(event.starts_with("data: {"));
  REQUIRE(event.ends_with("}\n\n"));
  CHECK(event.find('\n') == event.size() - 2);  // the message's newline is escaped, not a new SSE line
  auto json = boost::json::parse(event.substr(6));
  CHECK(json.at("error").at("message").as_string() == "cut \"short\"\nhere");
}
