// Non-stream responses, error bodies and stop reasons between Anthropic Messages and OpenAI Chat
// Completions (declared in anthropic_translate.hpp). Pure, any thread.
#include <boost/json.hpp>

#include "backends/anthropic_translate.hpp"
#include "backends/json_fields.hpp"

namespace sovgw::backends {

namespace json = boost::json;
using fields::str;

namespace {

Error protocol(std::string detail) {
  return make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, false, std::move(detail));
}

std::int64_t count(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

// Anthropic's input_tokens excludes cached tokens; OpenAI's prompt_tokens includes them.
json::object openai_usage(const json::object& usage) {
  const std::int64_t prompt = count(usage, "input_tokens") + count(usage, "cache_creation_input_tokens") +
                              count(usage, "cache_read_input_tokens");
  const std::int64_t completion = count(usage, "output_tokens");
  return {{"prompt_tokens", prompt}, {"completion_tokens", completion}, {"total_tokens", prompt + completion}};
}

struct ErrorMapping {
  std::string_view anthropic_type;
  std::string_view openai_type;
  std::string_view openai_code;  // "" → null
};

// Anthropic's documented error types and what an OpenAI client expects in their place.
constexpr ErrorMapping kErrorMappings[] = {
    {"invalid_request_error", "invalid_request_error", ""},
    {"authentication_error", "invalid_request_error", "invalid_api_key"},
    {"permission_error", "permission_error", ""},
    {"not_found_error", "invalid_request_error", "not_found"},
    {"request_too_large", "invalid_request_error", "request_too_large"},
    {"rate_limit_error", "rate_limit_error", "rate_limit_exceeded"},
    {"billing_error", "insufficient_quota", "insufficient_quota"},
    {"api_error", "server_error", ""},
    {"timeout_error", "server_error", "timeout"},
    {"overloaded_error", "service_unavailable_error", "server_is_overloaded"},
};

}  // namespace

std::string_view openai_finish_reason(std::string_view reason) {
  if (reason == "max_tokens") return "length";
  if (reason == "tool_use") return "tool_calls";
  if (reason == "refusal") return "content_filter";
  return "stop";  // end_turn, stop_sequence, pause_turn and reasons added later
}

std::string_view anthropic_stop_reason(std::string_view reason) {
  if (reason == "length") return "max_tokens";
  if (reason == "tool_calls" || reason == "function_call") return "tool_use";
  if (reason == "content_filter") return "refusal";
  return "end_turn";
}

Result<std::string> anthropic_response_to_openai(std::string_view body, std::string_view model, std::int64_t created) {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return protocol("Anthropic response is not a JSON object");
  const auto& in = parsed.as_object();
  const auto* content = in.if_contains("content");
  if (!content || !content->is_array()) return protocol("Anthropic response has no content array");
  std::string text;
  json::array calls;
  for (const auto& b : content->as_array()) {
    if (!b.is_object()) continue;
    const auto& block = b.as_object();
    if (str(block, "type") == "text") text += str(block, "text");
    if (str(block, "type") == "tool_use") {
      const auto* input = block.if_contains("input");
      calls.push_back(json::object{
          {"id", str(block, "id")},
          {"type", "function"},
          {"function", json::object{{"name", str(block, "name")},
                                    {"arguments", input ? json::serialize(*input) : std::string("{}")}}}});
    }
  }
  json::object message{{"role", "assistant"}, {"content", text.empty() && !calls.empty() ? json::value() : json::value(text)}};
  if (!calls.empty()) message["tool_calls"] = std::move(calls);
  json::object choice{{"index", 0},
                      {"message", std::move(message)},
                      {"logprobs", nullptr},
                      {"finish_reason", openai_finish_reason(str(in, "stop_reason"))}};
  json::object out{{"id", str(in, "id")},
                   {"object", "chat.completion"},
                   {"created", created},
                   {"model", model.empty() ? str(in, "model") : model},
                   {"choices", json::array{std::move(choice)}}};
  const auto* usage = in.if_contains("usage");
  out["usage"] = openai_usage(usage && usage->is_object() ? usage->as_object() : json::object());
  return json::serialize(out);
}

Result<std::string> openai_response_to_anthropic(std::string_view body, std::string_view model) {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) return protocol("OpenAI response is not a JSON object");
  const auto& in = parsed.as_object();
  const auto* choices = in.if_contains("choices");
  if (!choices || !choices->is_array() || choices->as_array().empty() || !choices->as_array()[0].is_object()) {
    return protocol("OpenAI response has no choice");
  }
  const auto& choice = choices->as_array()[0].as_object();
  const auto* m = choice.if_contains("message");
  const json::object empty;
  const auto& message = m && m->is_object() ? m->as_object() : empty;
  json::array blocks;
  if (const auto text = str(message, "content"); !text.empty()) blocks.push_back(json::object{{"type", "text"}, {"text", text}});
  if (const auto refusal = str(message, "refusal"); !refusal.empty()) {
    blocks.push_back(json::object{{"type", "text"}, {"text", refusal}});
  }
  if (const auto* calls = message.if_contains("tool_calls"); calls && calls->is_array()) {
    for (const auto& c : calls->as_array()) {
      const auto* fn = c.is_object() ? c.as_object().if_contains("function") : nullptr;
      if (!fn || !fn->is_object()) return protocol("OpenAI tool call without a function");
      const auto args = str(fn->as_object(), "arguments");
      json::value input = args.empty() ? json::value(json::object()) : json::parse(args, ec);
      if (ec || !input.is_object()) return protocol("OpenAI tool call arguments are not a JSON object");
      blocks.push_back(json::object{{"type", "tool_use"},
                                    {"id", str(c.as_object(), "id")},
                                    {"name", str(fn->as_object(), "name")},
                                    {"input", std::move(input)}});
    }
  }
  const auto* u = in.if_contains("usage");
  const auto& usage = u && u->is_object() ? u->as_object() : empty;
  json::object out{{"id", str(in, "id")},
                   {"type", "message"},
                   {"role", "assistant"},
                   {"model", model.empty() ? str(in, "model") : model},
                   {"content", std::move(blocks)},
                   {"stop_reason", anthropic_stop_reason(str(choice, "finish_reason"))},
                   {"stop_sequence", nullptr},
                   {"usage", json::object{{"input_tokens", count(usage, "prompt_tokens")},
                                          {"output_tokens", count(usage, "completion_tokens")}}}};
  return json::serialize(out);
}

std::string openai_error_object(std::string_view anthropic_type, std::string_view message) {
  json::object error{{"message", message}, {"type", "server_error"}, {"param", nullptr}, {"code", nullptr}};
  for (const auto& m : kErrorMappings) {
    if (m.anthropic_type != anthropic_type) continue;
    error["type"] = m.openai_type;
    if (!m.openai_code.empty()) error["code"] = m.openai_code;
  }
  return json::serialize(error);
}

std::string_view anthropic_error_type_for_status(unsigned status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 402: return "billing_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 413: return "request_too_large";
    case 429: return "rate_limit_error";
    case 503:
    case 529: return "overloaded_error";
    case 504: return "timeout_error";
  }
  return status >= 500 ? "api_error" : "invalid_request_error";
}

bool anthropic_error_retryable(std::string_view type) {
  return type == "overloaded_error" || type == "rate_limit_error" || type == "api_error" || type == "timeout_error";
}

TranslatedError anthropic_error_to_openai(unsigned status, std::string_view body) {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  const json::object* error = nullptr;
  if (!ec && parsed.is_object()) {
    if (const auto* e = parsed.as_object().if_contains("error"); e && e->is_object()) error = &e->as_object();
  }
  std::string_view type = error ? str(*error, "type") : std::string_view();
  if (type.empty()) type = anthropic_error_type_for_status(status);
  const std::string fallback = "upstream error (HTTP " + std::to_string(status) + ")";
  const std::string_view message = error && !str(*error, "message").empty() ? str(*error, "message") : fallback;
  const unsigned out_status = status == 529 ? 503 : status;
  return {out_status, "{\"error\":" + openai_error_object(type, message) + "}"};
}

TranslatedError openai_error_to_anthropic(unsigned status, std::string_view body) {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  const json::object* error = nullptr;
  if (!ec && parsed.is_object()) {
    if (const auto* e = parsed.as_object().if_contains("error"); e && e->is_object()) error = &e->as_object();
  }
  std::string_view type = anthropic_error_type_for_status(status);
  if (error && (str(*error, "code") == "insufficient_quota" || str(*error, "type") == "insufficient_quota")) {
    type = "billing_error";
  }
  const std::string fallback = "upstream error (HTTP " + std::to_string(status) + ")";
  const std::string_view message = error && !str(*error, "message").empty() ? str(*error, "message") : fallback;
  json::object out{{"type", "error"}, {"error", json::object{{"type", type}, {"message", message}}}};
  return {status, json::serialize(out)};
}

}  // namespace sovgw::backends
