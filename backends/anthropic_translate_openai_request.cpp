// OpenAI Chat Completions request → Anthropic Messages request (declared in anthropic_translate.hpp).
// Messages are converted to content blocks, then consecutive same-role messages are merged because
// Anthropic requires user/assistant alternation (tool results travel as user blocks). Pure, any thread.
#include <algorithm>
#include <vector>

#include <boost/json.hpp>

#include "backends/anthropic_translate.hpp"
#include "backends/json_fields.hpp"

namespace sovgw::backends {

namespace json = boost::json;
using fields::str;

namespace {

Error invalid(std::string detail) {
  return make_error(ErrorCode::kInvalidRequest, ErrorSource::kDownstream, false, std::move(detail));
}

json::object text_block(std::string_view text) { return {{"type", "text"}, {"text", text}}; }

// `data:image/png;base64,AAAA` → base64 source; any other URL → url source.
Result<json::object> image_block(const json::object& part) {
  const auto* image = part.if_contains("image_url");
  std::string_view url;
  if (image && image->is_object()) url = str(image->as_object(), "url");
  if (image && image->is_string()) url = image->as_string();
  if (url.empty()) return invalid("image_url part without a url");
  json::object source;
  if (url.starts_with("data:")) {
    const auto semi = url.find(";base64,");
    if (semi == std::string_view::npos) return invalid("image data URL is not base64");
    source = {{"type", "base64"}, {"media_type", url.substr(5, semi - 5)}, {"data", url.substr(semi + 8)}};
  } else {
    source = {{"type", "url"}, {"url", url}};
  }
  return json::object{{"type", "image"}, {"source", std::move(source)}};
}

// OpenAI content (string, null or parts) → Anthropic blocks.
Result<json::array> content_blocks(const json::value* content) {
  json::array blocks;
  if (!content || content->is_null()) return blocks;
  if (content->is_string()) {
    if (!content->as_string().empty()) blocks.push_back(text_block(content->as_string()));
    return blocks;
  }
  if (!content->is_array()) return invalid("message content must be a string or an array");
  for (const auto& p : content->as_array()) {
    if (!p.is_object()) return invalid("content part must be an object");
    const auto& part = p.as_object();
    const auto type = str(part, "type");
    if (type == "text" || type == "refusal") {
      blocks.push_back(text_block(type == "text" ? str(part, "text") : str(part, "refusal")));
    } else if (type == "image_url") {
      auto image = image_block(part);
      if (!image) return image.error();
      blocks.push_back(std::move(*image));
    } else {
      return invalid("content part type '" + std::string(type) + "' cannot be sent to an Anthropic target");
    }
  }
  return blocks;
}

Result<json::array> tool_use_blocks(const json::value& calls) {
  json::array blocks;
  if (!calls.is_array()) return invalid("tool_calls must be an array");
  for (const auto& c : calls.as_array()) {
    if (!c.is_object()) return invalid("tool call must be an object");
    const auto* fn = c.as_object().if_contains("function");
    if (!fn || !fn->is_object()) return invalid("tool call without a function");
    const auto args = str(fn->as_object(), "arguments");
    json::error_code ec;
    json::value input = args.empty() ? json::value(json::object()) : json::parse(args, ec);
    if (ec || !input.is_object()) return invalid("tool call arguments are not a JSON object");
    blocks.push_back(json::object{{"type", "tool_use"},
                                  {"id", str(c.as_object(), "id")},
                                  {"name", str(fn->as_object(), "name")},
                                  {"input", std::move(input)}});
  }
  return blocks;
}

Result<json::object> tool_result_block(const json::object& msg) {
  json::object block{{"type", "tool_result"}, {"tool_use_id", str(msg, "tool_call_id")}};
  const auto* content = msg.if_contains("content");
  if (content && content->is_string()) {
    block["content"] = content->as_string();
  } else {
    auto blocks = content_blocks(content);
    if (!blocks) return blocks.error();
    block["content"] = std::move(*blocks);
  }
  return block;
}

struct Turn {
  std::string role;
  json::array blocks;
};

// Appends a message to the turns, merging it into the previous turn of the same role.
void append_turn(std::vector<Turn>& turns, std::string_view role, json::array blocks) {
  if (blocks.empty()) return;
  if (!turns.empty() && turns.back().role == role) {
    for (auto& b : blocks) turns.back().blocks.push_back(std::move(b));
    return;
  }
  turns.push_back({std::string(role), std::move(blocks)});
}

// One message: system text goes to `system`, the rest becomes blocks of a user/assistant turn.
Status convert_message(const json::object& msg, json::array& system, std::vector<Turn>& turns) {
  const auto role = str(msg, "role");
  if (role == "system" || role == "developer") {
    auto blocks = content_blocks(msg.if_contains("content"));
    if (!blocks) return blocks.error();
    for (auto& b : *blocks) system.push_back(std::move(b));
    return Ok{};
  }
  if (role == "tool") {
    auto block = tool_result_block(msg);
    if (!block) return block.error();
    append_turn(turns, "user", json::array{std::move(*block)});
    return Ok{};
  }
  if (role != "user" && role != "assistant") return invalid("unsupported message role '" + std::string(role) + "'");
  auto blocks = content_blocks(msg.if_contains("content"));
  if (!blocks) return blocks.error();
  if (const auto* calls = msg.if_contains("tool_calls"); role == "assistant" && calls && !calls->is_null()) {
    auto uses = tool_use_blocks(*calls);
    if (!uses) return uses.error();
    for (auto& u : *uses) blocks->push_back(std::move(u));
  }
  append_turn(turns, role, std::move(*blocks));
  return Ok{};
}

// A single text block is sent as a plain string (the common shape, and what a round trip keeps).
json::value compact_content(json::array blocks) {
  if (blocks.size() == 1 && str(blocks[0].as_object(), "type") == "text") return blocks[0].as_object()["text"];
  return blocks;
}

Result<json::array> convert_tools(const json::value& tools) {
  json::array out;
  if (!tools.is_array()) return invalid("tools must be an array");
  for (const auto& t : tools.as_array()) {
    const auto* fn = t.is_object() ? t.as_object().if_contains("function") : nullptr;
    if (!fn || !fn->is_object()) return invalid("only function tools can be sent to an Anthropic target");
    const auto& f = fn->as_object();
    json::object tool{{"name", str(f, "name")}};
    if (const auto* d = f.if_contains("description"); d && d->is_string()) tool["description"] = *d;
    const auto* params = f.if_contains("parameters");
    tool["input_schema"] = params && params->is_object()
                               ? *params
                               : json::value(json::object{{"type", "object"}, {"properties", json::object()}});
    out.push_back(std::move(tool));
  }
  return out;
}

Result<json::object> convert_tool_choice(const json::value& choice) {
  if (choice.is_string()) {
    const auto c = std::string_view(choice.as_string());
    if (c == "auto") return json::object{{"type", "auto"}};
    if (c == "none") return json::object{{"type", "none"}};
    if (c == "required") return json::object{{"type", "any"}};
    return invalid("unknown tool_choice '" + std::string(c) + "'");
  }
  const auto* fn = choice.is_object() ? choice.as_object().if_contains("function") : nullptr;
  if (!fn || !fn->is_object()) return invalid("tool_choice must be a string or name a function");
  return json::object{{"type", "tool"}, {"name", str(fn->as_object(), "name")}};
}

// Sampling, limits and tools: everything but the messages.
Status convert_parameters(const json::object& in, const AnthropicRequestOptions& options, json::object& out) {
  std::int64_t max_tokens = options.default_max_tokens;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (const auto* v = in.if_contains(key); v && v->is_int64()) max_tokens = v->as_int64();
  }
  out["max_tokens"] = max_tokens;
  if (const auto* t = in.if_contains("temperature"); t && t->is_number()) {
    out["temperature"] = std::clamp(t->to_number<double>(), 0.0, 1.0);
  }
  if (const auto* p = in.if_contains("top_p"); p && p->is_number()) out["top_p"] = *p;
  if (const auto* s = in.if_contains("stop"); s && s->is_string()) out["stop_sequences"] = json::array{*s};
  if (const auto* s = in.if_contains("stop"); s && s->is_array()) out["stop_sequences"] = *s;
  if (const auto* s = in.if_contains("stream"); s && s->is_bool()) out["stream"] = *s;
  if (const auto* u = in.if_contains("user"); u && u->is_string()) out["metadata"] = json::object{{"user_id", *u}};
  if (const auto* tools = in.if_contains("tools"); tools && !tools->is_null()) {
    auto converted = convert_tools(*tools);
    if (!converted) return converted.error();
    out["tools"] = std::move(*converted);
  }
  json::object choice;
  if (const auto* c = in.if_contains("tool_choice"); c && !c->is_null()) {
    auto converted = convert_tool_choice(*c);
    if (!converted) return converted.error();
    choice = std::move(*converted);
  }
  if (const auto* p = in.if_contains("parallel_tool_calls"); p && p->is_bool() && !p->as_bool()) {
    if (choice.empty()) choice = {{"type", "auto"}};
    choice["disable_parallel_tool_use"] = true;
  }
  if (!choice.empty()) out["tool_choice"] = std::move(choice);
  return Ok{};
}

}  // namespace

Result<std::string> openai_request_to_anthropic(std::string_view body, const AnthropicRequestOptions& options) {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return invalid("request body is not a JSON object");
  return openai_request_to_anthropic(parsed.as_object(), options);
}

Result<std::string> openai_request_to_anthropic(const json::object& in, const AnthropicRequestOptions& options) {
  if (const auto* n = in.if_contains("n"); n && n->is_int64() && n->as_int64() > 1) {
    return invalid("n > 1 cannot be sent to an Anthropic target");
  }
  const auto* messages = in.if_contains("messages");
  if (!messages || !messages->is_array()) return invalid("messages must be an array");
  json::array system;
  std::vector<Turn> turns;
  for (const auto& m : messages->as_array()) {
    if (!m.is_object()) return invalid("message must be an object");
    if (auto st = convert_message(m.as_object(), system, turns); !st) return st.error();
  }
  json::object out{{"model", options.model}};
  if (!system.empty()) out["system"] = compact_content(std::move(system));
  json::array out_messages;
  for (auto& turn : turns) {
    out_messages.push_back(json::object{{"role", turn.role}, {"content", compact_content(std::move(turn.blocks))}});
  }
  out["messages"] = std::move(out_messages);
  if (auto st = convert_parameters(in, options, out); !st) return st.error();
  return json::serialize(out);
}

}  // namespace sovgw::backends
