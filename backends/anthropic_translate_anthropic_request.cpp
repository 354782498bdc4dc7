// Anthropic Messages request → OpenAI Chat Completions request (declared in anthropic_translate.hpp).
// A user turn's tool_result blocks become OpenAI `tool` messages placed before the rest of that
// turn (OpenAI wants them right after the assistant's tool calls). Pure, any thread.
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

json::object text_part(std::string_view text) { return {{"type", "text"}, {"text", text}}; }

Result<json::object> image_part(const json::object& block) {
  const auto* s = block.if_contains("source");
  if (!s || !s->is_object()) return invalid("image block without a source");
  const auto& source = s->as_object();
  std::string url;
  if (str(source, "type") == "base64") {
    url = "data:" + std::string(str(source, "media_type")) + ";base64," + std::string(str(source, "data"));
  } else if (str(source, "type") == "url") {
    url = str(source, "url");
  } else {
    return invalid("image source type '" + std::string(str(source, "type")) + "' cannot be sent to an OpenAI target");
  }
  return json::object{{"type", "image_url"}, {"image_url", json::object{{"url", url}}}};
}

// Tool result content (string or text blocks) → the text of an OpenAI tool message.
Result<json::value> tool_result_content(const json::object& block) {
  const auto* content = block.if_contains("content");
  if (!content || content->is_null()) return json::value("");
  if (content->is_string()) return *content;
  if (!content->is_array()) return invalid("tool_result content must be a string or an array");
  json::array parts;
  for (const auto& b : content->as_array()) {
    if (!b.is_object() || str(b.as_object(), "type") != "text") {
      return invalid("only text tool results can be sent to an OpenAI target");
    }
    parts.push_back(text_part(str(b.as_object(), "text")));
  }
  return json::value(std::move(parts));
}

// The parts of a plain string or a single text part are sent as a string.
json::value compact(json::array parts) {
  if (parts.size() == 1 && str(parts[0].as_object(), "type") == "text") return parts[0].as_object()["text"];
  return parts;
}

Status convert_user(const json::value& content, json::array& out) {
  if (content.is_string()) {
    out.push_back(json::object{{"role", "user"}, {"content", content}});
    return Ok{};
  }
  if (!content.is_array()) return invalid("message content must be a string or an array");
  json::array parts;
  for (const auto& b : content.as_array()) {
    if (!b.is_object()) return invalid("content block must be an object");
    const auto& block = b.as_object();
    const auto type = str(block, "type");
    if (type == "text") {
      parts.push_back(text_part(str(block, "text")));
    } else if (type == "image") {
      auto image = image_part(block);
      if (!image) return image.error();
      parts.push_back(std::move(*image));
    } else if (type == "tool_result") {
      auto result = tool_result_content(block);
      if (!result) return result.error();
      out.push_back(json::object{{"role", "tool"}, {"tool_call_id", str(block, "tool_use_id")}, {"content", *result}});
    } else {
      return invalid("content block type '" + std::string(type) + "' cannot be sent to an OpenAI target");
    }
  }
  if (!parts.empty()) out.push_back(json::object{{"role", "user"}, {"content", compact(std::move(parts))}});
  return Ok{};
}

Status convert_assistant(const json::value& content, json::array& out) {
  if (content.is_string()) {
    out.push_back(json::object{{"role", "assistant"}, {"content", content}});
    return Ok{};
  }
  if (!content.is_array()) return invalid("message content must be a string or an array");
  std::string text;
  json::array calls;
  for (const auto& b : content.as_array()) {
    if (!b.is_object()) return invalid("content block must be an object");
    const auto& block = b.as_object();
    const auto type = str(block, "type");
    if (type == "text") {
      text += str(block, "text");
    } else if (type == "tool_use") {
      const auto* input = block.if_contains("input");
      calls.push_back(json::object{
          {"id", str(block, "id")},
          {"type", "function"},
          {"function", json::object{{"name", str(block, "name")},
                                    {"arguments", input ? json::serialize(*input) : std::string("{}")}}}});
    } else if (type != "thinking" && type != "redacted_thinking") {  // reasoning is not replayable elsewhere
      return invalid("content block type '" + std::string(type) + "' cannot be sent to an OpenAI target");
    }
  }
  json::object msg{{"role", "assistant"}, {"content", text.empty() && !calls.empty() ? json::value() : json::value(text)}};
  if (!calls.empty()) msg["tool_calls"] = std::move(calls);
  out.push_back(std::move(msg));
  return Ok{};
}

Status convert_system(const json::value& system, json::array& out) {
  if (system.is_string()) {
    out.push_back(json::object{{"role", "system"}, {"content", system}});
    return Ok{};
  }
  if (!system.is_array()) return invalid("system must be a string or an array");
  json::array parts;
  for (const auto& b : system.as_array()) {
    if (!b.is_object() || str(b.as_object(), "type") != "text") return invalid("system blocks must be text");
    parts.push_back(text_part(str(b.as_object(), "text")));
  }
  out.push_back(json::object{{"role", "system"}, {"content", compact(std::move(parts))}});
  return Ok{};
}

Result<json::array> convert_tools(const json::value& tools) {
  json::array out;
  if (!tools.is_array()) return invalid("tools must be an array");
  for (const auto& t : tools.as_array()) {
    if (!t.is_object()) return invalid("tool must be an object");
    const auto& tool = t.as_object();
    const auto type = str(tool, "type");
    if (!tool.contains("input_schema") || (!type.empty() && type != "custom")) {
      return invalid("server tool '" + std::string(str(tool, "name")) + "' cannot be sent to an OpenAI target");
    }
    json::object fn{{"name", str(tool, "name")}};
    if (const auto* d = tool.if_contains("description"); d && d->is_string()) fn["description"] = *d;
    fn["parameters"] = tool.at("input_schema");
    out.push_back(json::object{{"type", "function"}, {"function", std::move(fn)}});
  }
  return out;
}

Status convert_tool_choice(const json::value& choice, json::object& out) {
  if (!choice.is_object()) return invalid("tool_choice must be an object");
  const auto& c = choice.as_object();
  const auto type = str(c, "type");
  if (type == "auto") out["tool_choice"] = "auto";
  else if (type == "none") out["tool_choice"] = "none";
  else if (type == "any") out["tool_choice"] = "required";
  else if (type == "tool") out["tool_choice"] = json::object{{"type", "function"}, {"function", json::object{{"name", str(c, "name")}}}};
  else return invalid("unknown tool_choice type '" + std::string(type) + "'");
  if (const auto* d = c.if_contains("disable_parallel_tool_use"); d && d->is_bool() && d->as_bool()) {
    out["parallel_tool_calls"] = false;
  }
  return Ok{};
}

Status convert_parameters(const json::object& in, json::object& out) {
  if (const auto* v = in.if_contains("max_tokens"); v && v->is_int64()) out["max_tokens"] = *v;
  if (const auto* t = in.if_contains("temperature"); t && t->is_number()) out["temperature"] = *t;
  if (const auto* p = in.if_contains("top_p"); p && p->is_number()) out["top_p"] = *p;
  if (const auto* s = in.if_contains("stop_sequences"); s && s->is_array() && !s->as_array().empty()) out["stop"] = *s;
  if (const auto* s = in.if_contains("stream"); s && s->is_bool()) {
    out["stream"] = *s;
    if (s->as_bool()) out["stream_options"] = json::object{{"include_usage", true}};
  }
  if (const auto* m = in.if_contains("metadata"); m && m->is_object()) {
    if (const auto* u = m->as_object().if_contains("user_id"); u && u->is_string()) out["user"] = *u;
  }
  if (const auto* tools = in.if_contains("tools"); tools && !tools->is_null()) {
    auto converted = convert_tools(*tools);
    if (!converted) return converted.error();
    out["tools"] = std::move(*converted);
  }
  if (const auto* c = in.if_contains("tool_choice"); c && !c->is_null()) return convert_tool_choice(*c, out);
  return Ok{};
}

}  // namespace

Result<std::string> anthropic_request_to_openai(std::string_view body, std::string_view model) {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return invalid("request body is not a JSON object");
  return anthropic_request_to_openai(parsed.as_object(), model);
}

Result<std::string> anthropic_request_to_openai(const json::object& in, std::string_view model) {
  const auto* messages = in.if_contains("messages");
  if (!messages || !messages->is_array()) return invalid("messages must be an array");
  json::array out_messages;
  if (const auto* system = in.if_contains("system"); system && !system->is_null()) {
    if (auto st = convert_system(*system, out_messages); !st) return st.error();
  }
  for (const auto& m : messages->as_array()) {
    if (!m.is_object()) return invalid("message must be an object");
    const auto& msg = m.as_object();
    const auto* content = msg.if_contains("content");
    if (!content) return invalid("message without content");
    const auto role = str(msg, "role");
    Status st = role == "user"        ? convert_user(*content, out_messages)
                : role == "assistant" ? convert_assistant(*content, out_messages)
                                      : Status(invalid("unsupported message role '" + std::string(role) + "'"));
    if (!st) return st.error();
  }
  json::object out{{"model", model}, {"messages", std::move(out_messages)}};
  if (auto st = convert_parameters(in, out); !st) return st.error();
  return json::serialize(out);
}

}  // namespace sovgw::backends
