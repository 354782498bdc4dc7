// See protocol_bridge.hpp.
#include "gateway/protocol_bridge.hpp"

#include <chrono>

#include <boost/json.hpp>

#include "backends/anthropic_translate.hpp"
#include "backends/openai_to_anthropic_stream.hpp"
#include "backends/sse_parser.hpp"
#include "gateway/request_body.hpp"

namespace sovgw {

namespace json = boost::json;
using backends::BackendConfig;

namespace {

bool anthropic(Protocol p) { return p == Protocol::kAnthropic; }

// Anthropic refuses a final assistant turn that ends in whitespace; the continuation supplies it.
std::string prefill_text(const std::string& delivered) {
  const auto end = delivered.find_last_not_of(" \t\r\n");
  return end == std::string::npos ? std::string() : delivered.substr(0, end + 1);
}

// An Anthropic request for an Anthropic backend: its model, and max_tokens when the client left it
// out (Anthropic requires it).
std::string anthropic_for_anthropic(json::value& body, const std::string& model, std::uint32_t default_max_tokens) {
  json::object& object = body.as_object();
  object["model"] = model;
  if (!object.contains("max_tokens")) object["max_tokens"] = default_max_tokens;
  return json::serialize(body);
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string upstream_path(const BackendConfig& backend, std::string_view api_path) {
  const bool chat = api_path == "/chat/completions" || api_path == "/messages";
  if (anthropic(backend.protocol)) return chat ? backend.url.base_path + "/v1/messages" : std::string();
  return backend.url.base_path + std::string(chat ? "/chat/completions" : api_path);
}

Result<std::string> body_for_backend(Protocol client, const BackendConfig& backend, json::value& body,
                                     const std::string& model, std::uint32_t default_max_tokens) {
  if (client == backend.protocol) {
    if (anthropic(client)) return anthropic_for_anthropic(body, model, default_max_tokens);
    return with_model(body, model);
  }
  if (anthropic(client)) return backends::anthropic_request_to_openai(body.as_object(), model);
  return backends::openai_request_to_anthropic(body.as_object(), {.model = model, .default_max_tokens = default_max_tokens});
}

Result<std::string> continuation_for_backend(Protocol client, const BackendConfig& backend, json::value base,
                                             const std::string& model, const std::string& delivered,
                                             std::uint32_t default_max_tokens) {
  if (anthropic(client) && anthropic(backend.protocol)) {
    // The client's own request, its last assistant turn extended (or a new one) by the delivered text.
    json::object& object = base.as_object();
    json::value& messages = object["messages"];
    if (!messages.is_array()) messages = json::array();
    auto& list = messages.as_array();
    const bool extend = !list.empty() && list.back().is_object() && list.back().as_object().if_contains("role") &&
                        list.back().as_object().at("role") == "assistant" &&
                        list.back().as_object().if_contains("content") && list.back().as_object().at("content").is_string();
    if (extend) {
      std::string text(list.back().as_object().at("content").as_string());
      list.back().as_object()["content"] = prefill_text(text + delivered);
    } else {
      list.push_back(json::object{{"role", "assistant"}, {"content", prefill_text(delivered)}});
    }
    return anthropic_for_anthropic(base, model, default_max_tokens);
  }
  if (anthropic(client)) {
    // Through OpenAI's form: the continuation is an OpenAI-protocol one from here on.
    auto openai = backends::anthropic_request_to_openai(base.as_object(), model);
    if (!openai) return openai.error();
    json::error_code ec;
    base = json::parse(*openai, ec);
    if (ec || !base.is_object()) {
      return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false, "translated request is not a JSON object");
    }
  }
  if (!anthropic(backend.protocol)) return continuation_body(std::move(base), model, delivered, backend.continuation);
  std::string openai = continuation_body(std::move(base), model, prefill_text(delivered), backends::Continuation::kPrefill);
  return backends::openai_request_to_anthropic(openai, {.model = model, .default_max_tokens = default_max_tokens});
}

Result<std::string> answer_as_openai(Protocol backend, std::string body, std::string_view model) {
  if (!anthropic(backend)) return body;
  return backends::anthropic_response_to_openai(body, model, now_seconds());
}

Result<std::string> answer_for_client(Protocol client, std::string openai_body, std::string_view model) {
  if (!anthropic(client)) return openai_body;
  return backends::openai_response_to_anthropic(openai_body, model);
}

ClientAnswer error_for_client(Protocol client, Protocol backend, unsigned status, std::string body) {
  if (client == backend) return {status, std::move(body)};
  const auto translated = anthropic(backend) ? backends::anthropic_error_to_openai(status, body)
                                             : backends::openai_error_to_anthropic(status, body);
  return {translated.status, translated.body};
}

std::string own_error_for_client(Protocol client, unsigned status, std::string openai_body) {
  if (!anthropic(client)) return openai_body;
  return backends::openai_error_to_anthropic(status, openai_body).body;
}

std::string sse_for_anthropic(std::string_view openai_sse) {
  backends::OpenAiToAnthropicStream translator({});
  backends::SseParser parser;
  std::string out;
  parser.feed(openai_sse, [&](const backends::SseEvent& event) {
    if (event.has_data) (void)translator.feed(event.data, out);
  });
  if (!translator.done()) (void)translator.finish(out);
  return out;
}

json::object anthropic_model_object(const std::string& name) {
  return {{"type", "model"}, {"id", name}, {"display_name", name}, {"created_at", "1970-01-01T00:00:00Z"}};
}

std::string anthropic_sse_error(unsigned status, std::string_view message) {
  json::object error{{"type", backends::anthropic_error_type_for_status(status)}, {"message", message}};
  json::object root{{"type", "error"}, {"error", std::move(error)}};
  return "event: error\ndata: " + json::serialize(root) + "\n\n";
}

}  // namespace sovgw
