// Translation between OpenAI Chat Completions and Anthropic Messages for whole (non-stream)
// bodies: requests both ways, responses both ways, error bodies both ways, stop reasons.
// Used when a client's protocol differs from its target's; the stream counterparts are
// AnthropicToOpenAiStream and OpenAiToAnthropicStream. Pure functions on JSON text, any thread.
//
//   auto body = openai_request_to_anthropic(client_body, {.model = "claude-sonnet-4-5"});
//   if (!body) reply_400(body.error().detail); else send(*body);
//
// Documented normalisations (a round trip OpenAI → Anthropic → OpenAI equals the original but
// for these): system and developer messages are hoisted to one leading system message (several of
// them become one with text parts); consecutive messages of one role are merged into one with
// content parts; `max_completion_tokens` becomes `max_tokens` and a missing one gets the default;
// temperature is clamped to Anthropic's [0, 1]; a string `stop` becomes an array; message `name`,
// `n` = 1, `strict`, `response_format`, `logprobs`, `seed` and penalties are dropped; tool call
// arguments are re-serialised compactly; a single text part becomes a plain string. The other way,
// `top_k`, `cache_control`, tool_result `is_error` and thinking blocks are dropped, tool results
// become `tool` messages ahead of the rest of their user turn, and a streamed request asks for
// `stream_options.include_usage`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace boost::json {
class object;
}

namespace sovgw::backends {

struct AnthropicRequestOptions {
  std::string model;                    // the target's model name (the client's is replaced)
  std::uint32_t default_max_tokens = 4096;  // when the client gives neither max_tokens form
};

// OpenAI `/v1/chat/completions` request body → Anthropic `/v1/messages` request body.
// kInvalidRequest (downstream, not retryable) for what cannot be expressed: malformed JSON, n > 1,
// audio/file parts, legacy function messages, tool call arguments that are not a JSON object.
Result<std::string> openai_request_to_anthropic(std::string_view body, const AnthropicRequestOptions& options);
// The same from a body already parsed (the gateway's request path parses each body once).
Result<std::string> openai_request_to_anthropic(const boost::json::object& body, const AnthropicRequestOptions& options);

// Anthropic `/v1/messages` request body → OpenAI request body for `model`. A streamed request asks
// for `stream_options.include_usage` so the stream translator can report usage at the end.
// kInvalidRequest for server tools, document blocks and images inside tool results.
Result<std::string> anthropic_request_to_openai(std::string_view body, std::string_view model);
Result<std::string> anthropic_request_to_openai(const boost::json::object& body, std::string_view model);

// Anthropic Message response → OpenAI `chat.completion` (model as given, "" for the message's own; `created` in Unix
// seconds: injected so tests are deterministic). kUpstreamProtocol when the body is not a message.
Result<std::string> anthropic_response_to_openai(std::string_view body, std::string_view model, std::int64_t created);

// OpenAI `chat.completion` → Anthropic Message (model "" keeps the completion's). kUpstreamProtocol when the body has no choice or
// a tool call's arguments are not a JSON object (Anthropic's `input` must be one).
Result<std::string> openai_response_to_anthropic(std::string_view body, std::string_view model);

// An error response translated for the other side's client: its status and body.
struct TranslatedError {
  unsigned status = 500;
  std::string body;
};

// Anthropic error (`{"type":"error","error":{"type","message"}}`) → OpenAI error body
// (`{"error":{"message","type","param","code"}}`). 529 becomes 503 (OpenAI clients know 503 as
// overload); other statuses are kept. A body that is not Anthropic's shape gets a message naming
// only the status (raw upstream bodies are not relayed).
TranslatedError anthropic_error_to_openai(unsigned status, std::string_view body);

// OpenAI error body → Anthropic error body; the status is kept, the type follows the status (503
// → overloaded_error, 429 with an insufficient_quota code → billing_error).
TranslatedError openai_error_to_anthropic(unsigned status, std::string_view body);

// The OpenAI error object (`{"message","type","param","code"}`, the value under "error") for an
// Anthropic error type such as "overloaded_error" and its message. Used for in-band stream errors.
std::string openai_error_object(std::string_view anthropic_type, std::string_view message);

// Anthropic error type for an OpenAI error status (400 invalid_request_error … 529 overloaded_error).
std::string_view anthropic_error_type_for_status(unsigned status);

// Whether an Anthropic error type is worth another attempt at another target (overload, rate
// limit, api/timeout errors) or not (invalid request, auth, permission, billing, not found).
bool anthropic_error_retryable(std::string_view anthropic_type);

// end_turn/stop_sequence/pause_turn → stop, max_tokens → length, tool_use → tool_calls,
// refusal → content_filter; unknown → stop.
std::string_view openai_finish_reason(std::string_view anthropic_stop_reason);

// stop → end_turn, length → max_tokens, tool_calls/function_call → tool_use,
// content_filter → refusal; unknown → end_turn.
std::string_view anthropic_stop_reason(std::string_view openai_finish_reason);

}  // namespace sovgw::backends
