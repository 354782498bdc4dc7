// ProtocolBridge: where a client's protocol meets a backend's. Clients speak OpenAI
// (/v1/chat/completions, /v1/completions, /v1/embeddings) or Anthropic Messages (/v1/messages);
// backends speak one of the two (BackendConfig::protocol). Inside the pipeline an answer is
// handled in OpenAI's form (the relay, the cache, the restorer all read chat.completion chunks),
// so this module translates, per target, only where the two sides differ:
//   request  → the body in the backend's protocol (translated, or the client's with its model)
//   answer   → OpenAI's form for the pipeline, then the client's protocol at the edge
//   errors   → each side's error shape and status, for upstream answers and sovgw's own
// A request whose protocols agree leaves untouched but for its model name. Pure functions on
// JSON text (the translation library is backends/anthropic_translate.hpp); any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "backends/backend_config.hpp"
#include "common/result.hpp"

namespace sovgw {

using backends::Protocol;

// The upstream path (under the backend's base path) for a client API ("/chat/completions",
// "/completions", "/embeddings", "/messages"), or "" when the backend cannot serve that API
// (an Anthropic backend serves chat only).
std::string upstream_path(const backends::BackendConfig& backend, std::string_view api_path);

// The client's body (the client's protocol; already redacted when the policy said so) as the
// backend expects it, for the target's model. kInvalidRequest when the request cannot be
// expressed in the backend's protocol (e.g. n > 1 for Anthropic).
Result<std::string> body_for_backend(Protocol client, const backends::BackendConfig& backend,
                                     boost::json::value& body, const std::string& model,
                                     std::uint32_t default_max_tokens);

// A mid-stream continuation for a backend that continues answers: the client's request `base`
// plus the already delivered text as a final assistant turn, in the backend's protocol.
Result<std::string> continuation_for_backend(Protocol client, const backends::BackendConfig& backend,
                                             boost::json::value base, const std::string& model,
                                             const std::string& delivered, std::uint32_t default_max_tokens);

// A 2xx JSON answer of a chat backend in OpenAI's chat.completion form (the pipeline's form).
// kUpstreamProtocol when an Anthropic answer is not a message.
Result<std::string> answer_as_openai(Protocol backend, std::string body, std::string_view model);

// An OpenAI chat.completion as the client's protocol wants it.
Result<std::string> answer_for_client(Protocol client, std::string openai_body, std::string_view model);

// An upstream error answer (status and body in the backend's protocol) for the client.
struct ClientAnswer {
  unsigned status = 500;
  std::string body;
};
ClientAnswer error_for_client(Protocol client, Protocol backend, unsigned status, std::string body);

// sovgw's own error (OpenAI's shape, from to_client_error) for the client's protocol.
std::string own_error_for_client(Protocol client, unsigned status, std::string openai_body);

// A whole OpenAI chat.completion.chunk SSE body (a cached answer replayed) as Anthropic events.
std::string sse_for_anthropic(std::string_view openai_sse);

// A configured model as Anthropic's Models API shows one (GET /v1/models/{id}).
boost::json::object anthropic_model_object(const std::string& name);

// An Anthropic client's in-band stream error event (`event: error`), for a stream that broke.
std::string anthropic_sse_error(unsigned status, std::string_view message);

}  // namespace sovgw
