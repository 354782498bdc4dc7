// Anthropic Messages bodies and SSE event sequences for fake_upstream.
#include "anthropic_answers.hpp"

#include <array>
#include <boost/json.hpp>

namespace sovgw::fake {
namespace {

namespace json = boost::json;

// The text block a tool_call answer opens with (unless `content` replaces it).
constexpr std::string_view kToolText = "Let me check.";

struct ErrorKind {
  int status;
  std::string_view type;
  std::string_view message;  // what Anthropic says for it
};

// The error types of https://docs.anthropic.com/en/api/errors, by HTTP status.
constexpr std::array<ErrorKind, 8> kErrorKinds{{
    {400, "invalid_request_error", "Invalid request"},
    {401, "authentication_error", "invalid x-api-key"},
    {403, "permission_error", "Your API key does not have permission to use the specified resource."},
    {404, "not_found_error", "Not found"},
    {413, "request_too_large", "Request exceeds the maximum allowed number of bytes."},
    {429, "rate_limit_error", "Number of requests has exceeded your rate limit"},
    {500, "api_error", "Internal server error"},
    {529, "overloaded_error", "Overloaded"},
}};

std::string event(std::string_view name, const json::object& data) {
  return "event: " + std::string(name) + "\ndata: " + json::serialize(data) + "\n\n";
}

json::object text_block(std::string_view text) { return {{"type", "text"}, {"text", text}}; }

json::object tool_block(const Behaviour& b, const AnswerIds& ids, json::value input) {
  return {{"type", "tool_use"},
          {"id", "toolu_fake" + std::to_string(ids.seq)},
          {"name", b.tool_name},
          {"input", std::move(input)}};
}

std::string tool_text(const Behaviour& b) { return b.content.value_or(std::string(kToolText)); }

int tool_tokens(const Behaviour& b) {
  return count_words(tool_text(b)) + count_words(b.tool_arguments);
}

json::object message(const RequestInfo& info, const AnswerIds& ids, json::array content,
                     json::value stop_reason, int output_tokens) {
  return {{"id", "msg_fake" + std::to_string(ids.seq)},
          {"type", "message"},
          {"role", "assistant"},
          {"model", info.model},
          {"content", std::move(content)},
          {"stop_reason", std::move(stop_reason)},
          {"stop_sequence", nullptr},
          {"usage", {{"input_tokens", info.prompt_tokens}, {"output_tokens", output_tokens}}}};
}

std::string message_start(const RequestInfo& info, const AnswerIds& ids) {
  return event("message_start",
               {{"type", "message_start"}, {"message", message(info, ids, {}, nullptr, 1)}});
}

std::string block_start(int index, json::object block) {
  return event("content_block_start",
               {{"type", "content_block_start"}, {"index", index}, {"content_block", block}});
}

std::string block_delta(int index, json::object delta) {
  return event("content_block_delta",
               {{"type", "content_block_delta"}, {"index", index}, {"delta", std::move(delta)}});
}

std::string text_delta(int index, std::string_view text) {
  return block_delta(index, {{"type", "text_delta"}, {"text", text}});
}

std::string block_stop(int index) {
  return event("content_block_stop", {{"type", "content_block_stop"}, {"index", index}});
}

std::string message_delta(std::string_view stop_reason, int output_tokens) {
  return event("message_delta", {{"type", "message_delta"},
                                 {"delta", {{"stop_reason", stop_reason}, {"stop_sequence", nullptr}}},
                                 {"usage", {{"output_tokens", output_tokens}}}});
}

std::string message_stop() { return event("message_stop", {{"type", "message_stop"}}); }

std::string ping() { return event("ping", {{"type", "ping"}}); }

// A text block with "Let me check.", then the tool_use block whose input arrives as
// input_json_delta pieces, then stop_reason tool_use.
StreamPlan tool_use_stream(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids) {
  StreamPlan plan;
  const auto text = tool_text(b);
  plan.events = {message_start(info, ids), block_start(0, text_block("")), ping()};
  for (const auto& piece : split_pieces(text, static_cast<std::size_t>(count_words(text))))
    plan.events.push_back(text_delta(0, piece));
  plan.events.push_back(block_stop(0));
  plan.events.push_back(block_start(1, tool_block(b, ids, json::object{})));
  for (const auto& piece : split_arguments(b.tool_arguments))
    plan.events.push_back(block_delta(1, {{"type", "input_json_delta"}, {"partial_json", piece}}));
  plan.events.push_back(block_stop(1));
  plan.events.push_back(message_delta("tool_use", tool_tokens(b)));
  plan.events.push_back(message_stop());
  return plan;
}

}  // namespace

std::string anthropic_json_answer(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids,
                                  std::string_view content) {
  if (!wants_tool_call(b, info)) {
    return json::serialize(
        message(info, ids, {text_block(content)}, "end_turn", count_words(content)));
  }
  json::array blocks{text_block(tool_text(b)), tool_block(b, ids, json::parse(b.tool_arguments))};
  return json::serialize(message(info, ids, std::move(blocks), "tool_use", tool_tokens(b)));
}

StreamPlan plan_anthropic_stream(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids,
                                 std::string_view content) {
  if (wants_tool_call(b, info)) return tool_use_stream(b, info, ids);
  const auto pieces = stream_pieces(b, content);
  StreamPlan plan;
  plan.events = {message_start(info, ids), block_start(0, text_block("")), ping()};
  for (const auto& piece : pieces.before) plan.events.push_back(text_delta(0, piece));
  switch (b.action) {
    case Action::kCloseAfter: plan.end = StreamEnd::kClose; return plan;
    case Action::kStallAfter: plan.end = StreamEnd::kStall; return plan;
    case Action::kErrorAfter:
      // In-band, as Anthropic reports an overload after the 200 header; then the body ends.
      plan.events.push_back("event: error\ndata: " +
                            anthropic_error_json(b.error_type.value_or("overloaded_error")) +
                            "\n\n");
      return plan;
    case Action::kMalformed:
      plan.events.emplace_back("event: content_block_delta\ndata: {not json\n\n");
      for (const auto& piece : pieces.after) plan.events.push_back(text_delta(0, piece));
      break;
    default: break;
  }
  plan.events.push_back(block_stop(0));
  plan.events.push_back(message_delta("end_turn", count_words(content)));
  if (b.action != Action::kNoDone) plan.events.push_back(message_stop());
  return plan;
}

std::string anthropic_error_json(std::string_view type, std::string_view message) {
  std::string text(message);
  for (const auto& kind : kErrorKinds) {
    if (text.empty() && kind.type == type) text = kind.message;
  }
  if (text.empty()) text = "fake upstream error";
  return json::serialize(
      json::object{{"type", "error"}, {"error", {{"type", type}, {"message", text}}}});
}

std::string anthropic_status_error_json(int status) {
  const std::string message = "fake upstream status " + std::to_string(status);
  for (const auto& kind : kErrorKinds) {
    if (kind.status == status) return anthropic_error_json(kind.type, message);
  }
  return anthropic_error_json(status >= 500 ? "api_error" : "invalid_request_error", message);
}

}  // namespace sovgw::fake
