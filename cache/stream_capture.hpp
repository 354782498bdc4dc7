// StreamCapture: assembles the chat.completion.chunk events of a streamed answer, as they are
// relayed to the client, into the answer to store (the same normalised chat.completion a
// buffered answer is stored as). Text, refusal, tool-call deltas (by index), the legacy
// function_call, logprobs, finish_reason and usage are gathered. complete() only after a
// finish_reason and `[DONE]` with nothing malformed in between: a truncated, failed or
// multi-choice stream is never stored. One per streamed request, on its worker thread.
//
//   StreamCapture capture;
//   for each event relayed to the client: capture.on_event(event.data);
//   if (capture.complete()) co_await cache.store(key, AnswerKind::kChatCompletion, *capture.answer());
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace sovgw::cache {

class StreamCapture {
 public:
  // A stream whose events add up to more than `max_bytes` is not kept (complete() stays false).
  explicit StreamCapture(std::size_t max_bytes = 8 * 1024 * 1024) : max_bytes_(max_bytes) {}

  // The `data` of one SSE event exactly as sent to the client (a chunk's JSON or "[DONE]").
  // Comments and keep-alives are not events; do not pass them.
  void on_event(std::string_view data);

  bool complete() const { return done_ && finished_ && !failed_; }
  bool failed() const { return failed_; }

  // The assembled chat.completion JSON; nullopt unless complete().
  std::optional<std::string> answer() const;

 private:
  struct ToolCall {
    boost::json::value id;
    boost::json::value type;
    std::string name;
    std::string arguments;
  };
  void take_meta(const boost::json::object& chunk);
  void take_choice(const boost::json::object& choice);
  void take_delta(const boost::json::object& delta);
  void take_tool_call(const boost::json::object& call);
  void take_logprobs(const boost::json::value& logprobs);
  boost::json::object message() const;

  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  bool done_ = false;
  bool finished_ = false;
  bool failed_ = false;
  boost::json::object meta_;  // id, created, model, system_fingerprint of the first chunk
  std::string role_ = "assistant";
  std::optional<std::string> content_;
  std::optional<std::string> refusal_;
  std::vector<ToolCall> tool_calls_;
  std::optional<ToolCall> function_call_;
  std::optional<boost::json::array> logprobs_content_;
  std::optional<boost::json::array> logprobs_refusal_;
  boost::json::value finish_reason_;
  boost::json::value usage_;
};

}  // namespace sovgw::cache
