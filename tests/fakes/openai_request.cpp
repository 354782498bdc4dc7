// Extracting the echo text, model and stream flags from OpenAI-style and Anthropic request bodies.
#include "openai_request.hpp"

#include <algorithm>
#include <boost/json.hpp>

namespace sovgw::fake {
namespace {

namespace json = boost::json;

bool is_tool_result(const json::value& part) {
  const auto* type = part.is_object() ? part.get_object().if_contains("type") : nullptr;
  return type && type->is_string() && type->get_string() == "tool_result";
}

// A message's content is a string or an array of parts ({"type":"text","text":...}); an Anthropic
// tool_result part holds its own content (a string or text parts).
std::string content_text(const json::value& content) {
  if (content.is_string()) return std::string(content.get_string());
  std::string out;
  if (!content.is_array()) return out;
  for (const auto& part : content.get_array()) {
    if (!part.is_object()) continue;
    const auto* text = part.get_object().if_contains("text");
    const auto* inner = part.get_object().if_contains("content");
    std::string piece;
    if (text && text->is_string()) piece = text->get_string();
    if (inner && is_tool_result(part)) piece = content_text(*inner);
    if (piece.empty()) continue;
    if (!out.empty()) out += ' ';
    out += piece;
  }
  return out;
}

bool has_tool_result(const json::value& content) {
  if (!content.is_array()) return false;
  const auto& parts = content.get_array();
  return std::any_of(parts.begin(), parts.end(), is_tool_result);
}

// OpenAI chat messages and Anthropic messages alike: the last message decides `continuing` and
// `after_tool_result`; the last user (or tool) message is the text to echo.
void describe_chat(const json::object& body, RequestInfo& info) {
  const auto* messages = body.if_contains("messages");
  if (!messages || !messages->is_array()) return;
  const json::value none;
  for (const auto& m : messages->get_array()) {
    if (!m.is_object()) continue;
    const auto* content = m.get_object().if_contains("content");
    if (!content) content = &none;  // an assistant message with only tool_calls
    auto text = content_text(*content);
    info.prompt_tokens += count_words(text);
    const auto* role_value = m.get_object().if_contains("role");
    const std::string_view role = role_value && role_value->is_string()
                                      ? std::string_view(role_value->get_string())
                                      : std::string_view{};
    info.continuing = role == "assistant";
    if (info.continuing) info.continue_from = text;
    info.after_tool_result = role == "tool" || (role == "user" && has_tool_result(*content));
    if (role == "user" || role == "tool") info.prompt_text = std::move(text);  // the last one wins
  }
}

// Anthropic: the system prompt (a string or text blocks) sits beside the messages.
void describe_messages(const json::object& body, RequestInfo& info) {
  if (const auto* system = body.if_contains("system")) {
    info.prompt_tokens += count_words(content_text(*system));
  }
  describe_chat(body, info);
}

// prompt: a string or an array of strings (token arrays are ignored).
void describe_completion(const json::object& body, RequestInfo& info) {
  const auto* prompt = body.if_contains("prompt");
  if (!prompt) return;
  if (prompt->is_string()) {
    info.prompt_text = std::string(prompt->get_string());
  } else if (prompt->is_array()) {
    for (const auto& p : prompt->get_array()) {
      if (p.is_string()) info.prompt_text = std::string(p.get_string());
    }
  }
  info.prompt_tokens = count_words(info.prompt_text);
}

void describe_embeddings(const json::object& body, RequestInfo& info) {
  const auto* input = body.if_contains("input");
  if (!input) return;
  if (input->is_string()) info.inputs.emplace_back(input->get_string());
  if (input->is_array()) {
    for (const auto& i : input->get_array()) {
      if (i.is_string()) info.inputs.emplace_back(i.get_string());
    }
  }
  for (const auto& i : info.inputs) info.prompt_tokens += count_words(i);
  const auto* format = body.if_contains("encoding_format");
  info.base64 = format && format->is_string() && format->get_string() == "base64";
}

}  // namespace

Endpoint endpoint_for(std::string_view method, std::string_view path) {
  if (method == "POST" && path == "/v1/chat/completions") return Endpoint::kChat;
  if (method == "POST" && path == "/v1/completions") return Endpoint::kCompletions;
  if (method == "POST" && path == "/v1/embeddings") return Endpoint::kEmbeddings;
  if (method == "POST" && path == "/v1/messages") return Endpoint::kMessages;
  if (method == "GET" && path == "/v1/models") return Endpoint::kModels;
  return Endpoint::kUnknown;
}

bool can_stream(Endpoint endpoint) {
  return endpoint == Endpoint::kChat || endpoint == Endpoint::kCompletions ||
         endpoint == Endpoint::kMessages;
}

int count_words(std::string_view text) {
  int words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

RequestInfo describe_request(Endpoint endpoint, const json::value* body) {
  RequestInfo info;
  info.endpoint = endpoint;
  if (!body || !body->is_object()) return info;
  const auto& obj = body->get_object();
  if (const auto* model = obj.if_contains("model"); model && model->is_string()) {
    info.model = std::string(model->get_string());
  }
  if (const auto* stream = obj.if_contains("stream"); stream && stream->is_bool()) {
    info.stream = stream->get_bool();
  }
  if (const auto* opts = obj.if_contains("stream_options"); opts && opts->is_object()) {
    const auto* usage = opts->get_object().if_contains("include_usage");
    info.include_usage = usage && usage->is_bool() && usage->get_bool();
  }
  switch (endpoint) {
    case Endpoint::kChat: describe_chat(obj, info); break;
    case Endpoint::kCompletions: describe_completion(obj, info); break;
    case Endpoint::kEmbeddings: describe_embeddings(obj, info); break;
    case Endpoint::kMessages: describe_messages(obj, info); break;
    case Endpoint::kModels:
    case Endpoint::kUnknown: break;
  }
  return info;
}

}  // namespace sovgw::fake
