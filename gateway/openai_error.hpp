// How sovgw's own errors look to clients: an HTTP status and OpenAI's error body
// {"error":{"message","type","param","code"}}. One switch maps every ErrorCode; the client-facing
// message is chosen here and never carries upstream key material or prompt text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace sovgw {

struct ClientError {
  unsigned status = 500;
  std::string body;  // serialized JSON
};

// `message` is the text for the client; `param` names the offending request field, if any.
ClientError to_client_error(ErrorCode code, std::string_view message, std::optional<std::string_view> param = {});

// OpenAI "type" and "code" strings for an ErrorCode (exposed for the SSE error event and tests).
std::string_view error_type(ErrorCode code);
std::string_view error_code_name(ErrorCode code);
unsigned http_status(ErrorCode code);

// The body of an in-band SSE error event: `data: {"error":{...}}\n\n`.
std::string sse_error_event(ErrorCode code, std::string_view message);

}  // namespace sovgw
