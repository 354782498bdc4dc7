#include "backends/openai_chunk.hpp"

#include <boost/json.hpp>

#include "backends/json_fields.hpp"

namespace sovgw::backends {

namespace json = boost::json;
using fields::count;

namespace {

bool non_empty_string(const json::value* v) { return v && v->is_string() && !v->as_string().empty(); }
bool non_empty_array(const json::value* v) { return v && v->is_array() && !v->as_array().empty(); }

// Progress carried by one choice of a chat (delta) or completions (text) chunk.
bool choice_progress(const json::object& choice, ChunkInfo& info, bool first) {
  bool progress = false;
  if (const auto* finish = choice.if_contains("finish_reason"); finish && !finish->is_null()) {
    info.finished = true;
    progress = true;
  }
  if (const auto* text = choice.if_contains("text"); non_empty_string(text)) {
    if (first) info.content = text->as_string();
    progress = true;
  }
  const auto* delta = choice.if_contains("delta");
  if (!delta || !delta->is_object()) return progress;
  const auto& d = delta->as_object();
  if (const auto* content = d.if_contains("content"); non_empty_string(content)) {
    if (first) info.content = content->as_string();
    progress = true;
  }
  if (non_empty_array(d.if_contains("tool_calls")) || d.if_contains("function_call")) {
    info.tool_call = true;
    progress = true;
  }
  if (non_empty_string(d.if_contains("refusal")) || non_empty_string(d.if_contains("reasoning_content")) ||
      non_empty_string(d.if_contains("reasoning"))) {
    info.tool_call = true;  // not plain text: a continuation could not reproduce it faithfully
    progress = true;
  }
  return progress;
}

}  // namespace

namespace {

// OpenAI's prompt/completion names, or Anthropic's input/output ones.
TokenUsage read_usage(const json::object& usage) {
  TokenUsage u;
  u.prompt_tokens = count(usage, "prompt_tokens");
  if (!u.prompt_tokens) u.prompt_tokens = count(usage, "input_tokens");
  u.completion_tokens = count(usage, "completion_tokens");
  if (!u.completion_tokens) u.completion_tokens = count(usage, "output_tokens");
  return u;
}

}  // namespace

TokenUsage find_usage(std::string_view body) {
  // The usage object sits near the end of a response; take the last "usage" key and the object
  // after it (braces balanced; usage objects carry no strings with braces).
  const std::size_t key = body.rfind("\"usage\"");
  if (key == std::string_view::npos) return {};
  const std::size_t open = body.find('{', key);
  if (open == std::string_view::npos) return {};
  int depth = 0;
  for (std::size_t i = open; i < body.size(); ++i) {
    if (body[i] == '{') ++depth;
    if (body[i] == '}' && --depth == 0) {
      json::error_code ec;
      unsigned char arena[1024];  // a usage object is small: its DOM stays on the stack
      json::monotonic_resource resource(arena, sizeof arena);
      json::value v = json::parse(body.substr(open, i - open + 1), ec, &resource);
      if (ec || !v.is_object()) return {};
      return read_usage(v.as_object());
    }
  }
  return {};
}

ChunkInfo inspect_chunk(std::string_view data) {
  ChunkInfo info;
  if (data == "[DONE]") {
    info.kind = ChunkKind::kDone;
    return info;
  }
  json::error_code ec;
  // A chunk is small and dies with this call: its DOM lives in a stack buffer (no malloc per chunk
  // unless it is larger than the buffer, when the resource falls back to the heap).
  unsigned char arena[4096];
  json::monotonic_resource resource(arena, sizeof arena);
  json::value value = json::parse(data, ec, &resource);
  if (ec || !value.is_object()) return info;  // kMalformed
  const auto& obj = value.as_object();
  if (const auto* error = obj.if_contains("error"); error && !error->is_null()) {
    info.kind = ChunkKind::kError;
    return info;
  }
  bool progress = false;
  if (const auto* choices = obj.if_contains("choices"); choices && choices->is_array()) {
    for (const auto& choice : choices->as_array()) {
      if (!choice.is_object()) continue;
      const auto* index = choice.as_object().if_contains("index");
      const bool first = !index || (index->is_int64() && index->as_int64() == 0);
      if (!first) info.other_choice = true;
      progress = choice_progress(choice.as_object(), info, first) || progress;
    }
  }
  if (const auto* usage = obj.if_contains("usage"); usage && usage->is_object()) {
    info.usage = true;
    const TokenUsage counts = read_usage(usage->as_object());
    info.prompt_tokens = counts.prompt_tokens;
    info.completion_tokens = counts.completion_tokens;
  }
  info.kind = progress ? ChunkKind::kProgress : ChunkKind::kNoProgress;
  return info;
}

std::string rewrite_chunk(std::string_view data, std::string_view id, const std::string* content) {
  json::error_code ec;
  json::value value = json::parse(data, ec);
  if (ec || !value.is_object()) return {};
  auto& obj = value.as_object();
  if (!id.empty()) obj["id"] = id;
  if (content) {
    if (auto* choices = obj.if_contains("choices"); choices && choices->is_array()) {
      for (auto& choice : choices->as_array()) {
        if (!choice.is_object()) continue;
        auto& c = choice.as_object();
        if (auto* delta = c.if_contains("delta"); delta && delta->is_object()) {
          delta->as_object()["content"] = *content;
        } else if (c.contains("text")) {
          c["text"] = *content;
        }
      }
    }
  }
  return "data: " + json::serialize(value) + "\n\n";
}

std::string chunk_id(std::string_view data) {
  json::error_code ec;
  json::value value = json::parse(data, ec);
  if (ec || !value.is_object()) return {};
  const auto* id = value.as_object().if_contains("id");
  return id && id->is_string() ? std::string(id->as_string()) : std::string();
}

}  // namespace sovgw::backends
