// Anthropic Messages SSE events → OpenAI chat.completion.chunk SSE events, one event at a time.
#include "backends/anthropic_to_openai_stream.hpp"

#include <boost/json.hpp>

#include "backends/anthropic_translate.hpp"
#include "backends/json_fields.hpp"

namespace sovgw::backends {

namespace json = boost::json;
using fields::str;
using fields::count;
using fields::object_at;

namespace {

Error malformed(std::string detail) {
  return make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, true, std::move(detail));
}

// input_tokens excludes cached prompt tokens; OpenAI's prompt_tokens counts them.
std::optional<std::uint64_t> prompt_tokens(const json::object& usage) {
  auto input = count(usage, "input_tokens");
  if (!input) return std::nullopt;
  return *input + count(usage, "cache_creation_input_tokens").value_or(0) +
         count(usage, "cache_read_input_tokens").value_or(0);
}

}  // namespace

Status AnthropicToOpenAiStream::feed(std::string_view event, std::string_view data, std::string& out) {
  hidden_progress_ = false;
  json::error_code ec;
  unsigned char arena[4096];  // the event's DOM dies with this call: no malloc for a usual event
  json::monotonic_resource resource(arena, sizeof arena);
  json::value parsed = json::parse(data, ec, &resource);
  if (ec || !parsed.is_object()) return malformed("Anthropic stream event is not a JSON object");
  const auto& obj = parsed.as_object();
  std::string_view type = str(obj, "type");
  if (type.empty()) type = event;
  // Order follows the stream: start, blocks, deltas, end. Unknown types (and ping, and
  // content_block_stop, which OpenAI has no counterpart for) are dropped for forward compatibility.
  if (type == "message_start") return on_message_start(obj, out);
  if (type == "content_block_start") return on_block_start(obj, out);
  if (type == "content_block_delta") return on_block_delta(obj, out);
  if (type == "message_delta") return on_message_delta(obj, out);
  if (type == "message_stop" && !done_) on_message_stop(out);  // a repeated stop adds no second [DONE]
  if (type == "error") return on_error(obj);
  return Ok{};
}

Status AnthropicToOpenAiStream::finish() const {
  if (done_) return Ok{};
  return malformed("Anthropic stream ended before message_stop");
}

TokenUsage AnthropicToOpenAiStream::usage() const { return {input_tokens_, output_tokens_}; }

void AnthropicToOpenAiStream::emit(json::object delta, std::string_view finish, std::string& out) const {
  json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}};
  choice["finish_reason"] = finish.empty() ? json::value() : json::value(finish);
  json::object chunk{{"id", id_},
                     {"object", "chat.completion.chunk"},
                     {"created", options_.created},
                     {"model", options_.model},
                     {"choices", json::array{std::move(choice)}}};
  out += "data: ";
  out += json::serialize(chunk);
  out += "\n\n";
}

Status AnthropicToOpenAiStream::on_message_start(const json::object& data, std::string& out) {
  const auto* message = object_at(data, "message");
  if (!message) return malformed("message_start without a message");
  id_ = str(*message, "id");
  if (options_.model.empty()) options_.model = str(*message, "model");
  if (const auto* usage = object_at(*message, "usage")) {
    input_tokens_ = prompt_tokens(*usage);
    output_tokens_ = count(*usage, "output_tokens");
  }
  started_ = true;
  emit({{"role", "assistant"}, {"content", ""}}, "", out);
  return Ok{};
}

Status AnthropicToOpenAiStream::on_block_start(const json::object& data, std::string& out) {
  const auto* block = object_at(data, "content_block");
  const auto* index = data.if_contains("index");
  if (!block || !index || !index->is_int64()) return malformed("content_block_start without a block or index");
  const auto type = str(*block, "type");
  if (type == "text" && !str(*block, "text").empty()) emit({{"content", str(*block, "text")}}, "", out);
  if (type != "tool_use") {
    // thinking (and other blocks OpenAI has no form for) are not shown to OpenAI clients, but
    // they are the model at work
    hidden_progress_ = type != "text";
    hidden_blocks_ = hidden_blocks_ || hidden_progress_;
    return Ok{};
  }
  const int tool = tool_count_++;
  tool_index_[index->as_int64()] = tool;
  json::object call{{"index", tool},
                    {"id", str(*block, "id")},
                    {"type", "function"},
                    {"function", json::object{{"name", str(*block, "name")}, {"arguments", ""}}}};
  emit({{"tool_calls", json::array{std::move(call)}}}, "", out);
  return Ok{};
}

Status AnthropicToOpenAiStream::on_block_delta(const json::object& data, std::string& out) {
  const auto* delta = object_at(data, "delta");
  const auto* index = data.if_contains("index");
  if (!delta || !index || !index->is_int64()) return malformed("content_block_delta without a delta or index");
  const auto type = str(*delta, "type");
  if (type == "text_delta") {
    if (!str(*delta, "text").empty()) emit({{"content", str(*delta, "text")}}, "", out);
    return Ok{};
  }
  if (type != "input_json_delta") {  // thinking_delta, signature_delta, citations
    hidden_progress_ = true;
    return Ok{};
  }
  const auto tool = tool_index_.find(index->as_int64());
  if (tool == tool_index_.end()) return malformed("input_json_delta for a block that is not a tool_use");
  const auto partial = str(*delta, "partial_json");
  if (partial.empty()) return Ok{};
  json::object call{{"index", tool->second}, {"function", json::object{{"arguments", partial}}}};
  emit({{"tool_calls", json::array{std::move(call)}}}, "", out);
  return Ok{};
}

Status AnthropicToOpenAiStream::on_message_delta(const json::object& data, std::string& out) {
  if (const auto* usage = object_at(data, "usage")) {
    if (auto output = count(*usage, "output_tokens")) output_tokens_ = output;
    if (auto input = prompt_tokens(*usage)) input_tokens_ = input;
  }
  const auto* delta = object_at(data, "delta");
  const auto* reason = delta ? delta->if_contains("stop_reason") : nullptr;
  if (reason && reason->is_string()) emit({}, openai_finish_reason(reason->as_string()), out);
  return Ok{};
}

void AnthropicToOpenAiStream::on_message_stop(std::string& out) {
  if (options_.include_usage) {
    const std::uint64_t prompt = input_tokens_.value_or(0);
    const std::uint64_t completion = output_tokens_.value_or(0);
    json::object chunk{{"id", id_},
                       {"object", "chat.completion.chunk"},
                       {"created", options_.created},
                       {"model", options_.model},
                       {"choices", json::array()},
                       {"usage", json::object{{"prompt_tokens", prompt},
                                              {"completion_tokens", completion},
                                              {"total_tokens", prompt + completion}}}};
    out += "data: ";
    out += json::serialize(chunk);
    out += "\n\n";
  }
  out += "data: [DONE]\n\n";
  done_ = true;
}

Status AnthropicToOpenAiStream::on_error(const json::object& data) {
  const auto* error = object_at(data, "error");
  error_type_ = error ? str(*error, "type") : std::string_view();
  if (error_type_.empty()) error_type_ = "api_error";
  const std::string_view message = error ? str(*error, "message") : std::string_view();
  error_object_ = openai_error_object(error_type_, message.empty() ? std::string_view("upstream stream error") : message);
  return make_error(ErrorCode::kUpstreamStatus, ErrorSource::kUpstream, anthropic_error_retryable(error_type_),
                    "Anthropic stream error: " + error_type_);
}

}  // namespace sovgw::backends
