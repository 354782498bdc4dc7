// RequestInfo: the few facts fake_upstream's answers need from an OpenAI-style or Anthropic
// Messages request (which endpoint, which model to echo, stream or not, the text to echo back,
// whether a tool result ends the conversation, a token estimate).
// Pure functions over an already parsed JSON body; no I/O, no shared state.
//
//   auto info = describe_request(endpoint_for("POST", "/v1/chat/completions"), &body);
//   if (info.stream) ...
#pragma once

#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sovgw::fake {

enum class Endpoint {
  kChat,         // POST /v1/chat/completions
  kCompletions,  // POST /v1/completions
  kEmbeddings,   // POST /v1/embeddings
  kMessages,     // POST /v1/messages (Anthropic Messages API)
  kModels,       // GET /v1/models
  kUnknown,      // anything else under /v1/: 404
};

Endpoint endpoint_for(std::string_view method, std::string_view path);
bool can_stream(Endpoint endpoint);

struct RequestInfo {
  Endpoint endpoint = Endpoint::kUnknown;
  std::string model = "fake-model";  // echoed in answers
  bool stream = false;
  bool include_usage = false;       // stream_options.include_usage
  // The last user message (chat; a tool result counts as one) or the prompt (completions).
  std::string prompt_text;
  // The conversation ends with a tool result (an OpenAI `tool` message, an Anthropic user message
  // with a tool_result block): a model would answer it instead of calling the tool again.
  bool after_tool_result = false;
  // The text of a final assistant message (a continuation request, as sovgw sends in mid-stream
  // recovery): the fake then answers only what follows it in its answer, like a model continuing.
  std::string continue_from;
  bool continuing = false;
  int prompt_tokens = 0;            // a word count standing in for tokens
  std::vector<std::string> inputs;  // embeddings inputs
  bool base64 = false;              // embeddings: encoding_format "base64" (the SDKs' default)
};

// body is null when the request has none (GET).
RequestInfo describe_request(Endpoint endpoint, const boost::json::value* body);

// Number of whitespace-separated words (our stand-in for a token count).
int count_words(std::string_view text);

}  // namespace sovgw::fake
