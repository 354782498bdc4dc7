// OpenAI chat.completion.chunk payloads → Anthropic Messages SSE events, one chunk at a time.
#include "backends/openai_to_anthropic_stream.hpp"

#include <boost/json.hpp>

#include "backends/anthropic_translate.hpp"
#include "backends/json_fields.hpp"

namespace sovgw::backends {

namespace json = boost::json;
using fields::str;
using fields::count;

namespace {

void append_event(std::string_view name, const json::object& data, std::string& out) {
  out += "event: ";
  out += name;
  out += "\ndata: ";
  out += json::serialize(data);
  out += "\n\n";
}

}  // namespace

Status OpenAiToAnthropicStream::feed(std::string_view data, std::string& out) {
  if (data == "[DONE]") {
    if (!done_) close_message(out);
    return Ok{};
  }
  json::error_code ec;
  unsigned char arena[4096];  // the event's DOM dies with this call: no malloc for a usual event
  json::monotonic_resource resource(arena, sizeof arena);
  json::value parsed = json::parse(data, ec, &resource);
  if (ec || !parsed.is_object()) {
    return make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, true, "OpenAI stream chunk is not a JSON object");
  }
  const auto& chunk = parsed.as_object();
  if (const auto* error = chunk.if_contains("error"); error && !error->is_null()) return on_error(chunk);
  if (!started_) start(chunk, out);
  if (const auto* choices = chunk.if_contains("choices"); choices && choices->is_array()) {
    for (const auto& c : choices->as_array()) {
      const auto* index = c.is_object() ? c.as_object().if_contains("index") : nullptr;
      // Only choice 0 exists for Anthropic clients (they cannot ask for n > 1).
      if (c.is_object() && (!index || (index->is_int64() && index->as_int64() == 0))) on_choice(c.as_object(), out);
    }
  }
  if (const auto* usage = chunk.if_contains("usage"); usage && usage->is_object()) {
    if (auto prompt = count(usage->as_object(), "prompt_tokens")) input_tokens_ = prompt;
    if (auto completion = count(usage->as_object(), "completion_tokens")) output_tokens_ = completion;
  }
  return Ok{};
}

Status OpenAiToAnthropicStream::finish(std::string& out) {
  if (done_) return Ok{};
  if (stop_reason_.empty()) {
    return make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, true,
                      "OpenAI stream ended before a finish_reason");
  }
  close_message(out);
  return Ok{};
}

void OpenAiToAnthropicStream::start(const json::object& chunk, std::string& out) {
  started_ = true;
  const std::string id = options_.id.empty() ? std::string(str(chunk, "id")) : options_.id;
  json::object message{{"id", id},
                       {"type", "message"},
                       {"role", "assistant"},
                       {"content", json::array()},
                       {"model", options_.model.empty() ? std::string(str(chunk, "model")) : options_.model},
                       {"stop_reason", nullptr},
                       {"stop_sequence", nullptr},
                       {"usage", json::object{{"input_tokens", 0}, {"output_tokens", 0}}}};
  append_event("message_start", {{"type", "message_start"}, {"message", std::move(message)}}, out);
}

void OpenAiToAnthropicStream::on_choice(const json::object& choice, std::string& out) {
  const auto* d = choice.if_contains("delta");
  if (d && d->is_object()) {
    const auto& delta = d->as_object();
    // A refusal is shown as text, as in the non-stream translation.
    const auto text = str(delta, "content").empty() ? str(delta, "refusal") : str(delta, "content");
    if (!text.empty()) {
      if (open_block_ < 0 || !open_is_text_) open_block({{"type", "text"}, {"text", ""}}, out);
      append_event("content_block_delta",
                   {{"type", "content_block_delta"},
                    {"index", open_block_},
                    {"delta", json::object{{"type", "text_delta"}, {"text", text}}}},
                   out);
    }
    if (const auto* calls = delta.if_contains("tool_calls"); calls && calls->is_array()) {
      for (const auto& call : calls->as_array()) {
        if (call.is_object()) on_tool_call(call.as_object(), out);
      }
    }
  }
  if (const auto* finish = choice.if_contains("finish_reason"); finish && finish->is_string()) {
    stop_reason_ = anthropic_stop_reason(finish->as_string());
    close_block(out);
  }
}

void OpenAiToAnthropicStream::on_tool_call(const json::object& call, std::string& out) {
  const auto* i = call.if_contains("index");
  const std::int64_t index = i && i->is_int64() ? i->as_int64() : 0;
  const auto* f = call.if_contains("function");
  const json::object empty;
  const auto& fn = f && f->is_object() ? f->as_object() : empty;
  auto block = tool_block_.find(index);
  if (block == tool_block_.end()) {
    open_block({{"type", "tool_use"}, {"id", str(call, "id")}, {"name", str(fn, "name")}, {"input", json::object()}}, out);
    block = tool_block_.emplace(index, open_block_).first;
  }
  if (const auto args = str(fn, "arguments"); !args.empty()) {
    append_event("content_block_delta",
                 {{"type", "content_block_delta"},
                  {"index", block->second},
                  {"delta", json::object{{"type", "input_json_delta"}, {"partial_json", args}}}},
                 out);
  }
}

void OpenAiToAnthropicStream::open_block(json::object block, std::string& out) {
  close_block(out);
  open_block_ = next_block_++;
  open_is_text_ = str(block, "type") == "text";
  append_event("content_block_start",
               {{"type", "content_block_start"}, {"index", open_block_}, {"content_block", std::move(block)}}, out);
}

void OpenAiToAnthropicStream::close_block(std::string& out) {
  if (open_block_ < 0) return;
  append_event("content_block_stop", {{"type", "content_block_stop"}, {"index", open_block_}}, out);
  open_block_ = -1;
}

void OpenAiToAnthropicStream::close_message(std::string& out) {
  if (!started_) start(json::object(), out);
  close_block(out);
  json::object usage{{"output_tokens", output_tokens_.value_or(0)}};
  if (input_tokens_) usage["input_tokens"] = *input_tokens_;
  append_event("message_delta",
               {{"type", "message_delta"},
                {"delta", json::object{{"stop_reason", stop_reason_.empty() ? "end_turn" : stop_reason_},
                                       {"stop_sequence", nullptr}}},
                {"usage", std::move(usage)}},
               out);
  append_event("message_stop", {{"type", "message_stop"}}, out);
  done_ = true;
}

Status OpenAiToAnthropicStream::on_error(const json::object& chunk) {
  const auto& e = chunk.at("error");
  const json::object empty;
  const auto& error = e.is_object() ? e.as_object() : empty;
  std::string_view type = "api_error";
  if (str(error, "type") == "rate_limit_error" || str(error, "code") == "rate_limit_exceeded") type = "rate_limit_error";
  if (str(error, "code") == "server_is_overloaded" || str(error, "type") == "service_unavailable_error") {
    type = "overloaded_error";
  }
  const std::string_view message = str(error, "message").empty() ? "upstream stream error" : str(error, "message");
  error_event_.clear();
  append_event("error", {{"type", "error"}, {"error", json::object{{"type", type}, {"message", message}}}}, error_event_);
  return make_error(ErrorCode::kUpstreamStatus, ErrorSource::kUpstream, anthropic_error_retryable(type),
                    "OpenAI stream error: " + std::string(type));
}

}  // namespace sovgw::backends
