// Builders for the bodies fake_upstream sends: chat.completion / text_completion JSON (with tool
// calls), the SSE event sequence of a (possibly scripted-to-fail) stream, embeddings, the model
// list and OpenAI-style error bodies; for POST /v1/messages json_answer() and plan_stream() hand
// over to anthropic_answers.hpp. Pure functions; the responder does the I/O.
//
//   auto plan = plan_stream(behaviour, info, {seq, created}, content);
//   for (auto& ev : plan.events) write(ev);  // each is "data: ...\n\n"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "behaviour.hpp"
#include "openai_request.hpp"

namespace sovgw::fake {

struct AnswerIds {
  std::uint64_t seq = 0;     // the request's sequence number, part of the response id
  std::int64_t created = 0;  // unix seconds
};

// "Hello from NAME: <last user text>" (or the behaviour's content), cut to 200 bytes.
std::string answer_content(const Behaviour& b, const RequestInfo& info, std::string_view name);

// Whether the behaviour makes this request answer with a tool call: `tool_call` on a chat or
// messages request that does not already end with a tool result (that one gets a normal answer).
bool wants_tool_call(const Behaviour& b, const RequestInfo& info);

// The non-streaming 200 body for the request's endpoint (an error body for kUnknown).
std::string json_answer(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids,
                        std::string_view content);

// How a scripted stream ends once its events are written.
enum class StreamEnd {
  kClean,  // final 0-length chunk; the HTTP response is complete
  kClose,  // close the connection, no final chunk (close_after)
  kStall,  // keep the connection open and say nothing more (stall_after)
};

struct StreamPlan {
  std::vector<std::string> events;  // complete SSE events, "data: <json>\n\n" (or with `event:`)
  StreamEnd end = StreamEnd::kClean;
};

// The events for a chat, text-completion or messages stream under one of the streaming actions
// (or tool_call).
StreamPlan plan_stream(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids,
                       std::string_view content);

// {"error":{"message":..,"type":..,"param":null,"code":..}}; empty code gives null.
std::string error_json(std::string_view message, std::string_view type, std::string_view code);

// A plausible OpenAI error body for an HTTP status (429 rate limit, 5xx server_error, ...).
std::string status_error_json(int status);

// The content pieces of a stream: `before` its scripted failure (all of them when the action has
// none) and `after` it (what `malformed` still sends). `chunks` gives N, or K for the failures.
struct StreamPieces {
  std::vector<std::string> before;
  std::vector<std::string> after;
};
StreamPieces stream_pieces(const Behaviour& b, std::string_view content);

// Tool-call arguments (JSON text) cut into 2 or 3 non-empty pieces (1 when shorter than 2 bytes),
// never inside a UTF-8 sequence; they concatenate to the text.
std::vector<std::string> split_arguments(std::string_view arguments);

// Content split into exactly `count` pieces whose concatenation is the content when count is at
// most its word count; with more pieces than words the words repeat. Exposed for tests.
std::vector<std::string> split_pieces(std::string_view content, std::size_t count);

}  // namespace sovgw::fake
