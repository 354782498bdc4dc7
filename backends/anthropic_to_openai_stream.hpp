// AnthropicToOpenAiStream: translates an Anthropic Messages SSE stream, event by event, into the
// OpenAI `chat.completion.chunk` SSE an OpenAI client expects (role chunk, content and tool_calls
// deltas, finish chunk, usage chunk when asked, `[DONE]`). Sits in the relay between the upstream's
// SseParser and the client socket; holds only per-stream counters, never the stream.
// Not thread-safe: one per stream.
//
//   AnthropicToOpenAiStream t({.model = "claude-x", .created = now, .include_usage = true});
//   parser.feed(bytes, [&](const SseEvent& ev) { st = t.feed(ev.event, ev.data, out); });
//   if (!st) fail_over_or_send_error_frame(t.error_object());   // mid-stream `error` event
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "backends/openai_chunk.hpp"
#include "common/result.hpp"

namespace boost::json {
class object;
}

namespace sovgw::backends {

class AnthropicToOpenAiStream {
 public:
  struct Options {
    std::string model;           // model name shown to the client; "" → message_start's
    std::int64_t created = 0;    // Unix seconds for every chunk's "created"
    bool include_usage = false;  // the client's stream_options.include_usage
  };

  explicit AnthropicToOpenAiStream(Options options) : options_(std::move(options)) {}

  // Translates one upstream event (`event:` name, may be "", and `data:` payload; the payload's
  // "type" wins). Appends complete client SSE events (`data: {...}\n\n`) to `out`, possibly none.
  // An `error` event returns kUpstreamStatus (retryable for overload, rate limit, api and timeout
  // errors) and sets error_type()/error_object(); malformed JSON returns kUpstreamProtocol.
  // Nothing is appended on failure; the caller decides between failover and an error frame.
  Status feed(std::string_view event, std::string_view data, std::string& out);

  // At upstream end of stream: Ok when message_stop was seen, else kUpstreamProtocol (truncated).
  Status finish() const;

  bool done() const { return done_; }                  // message_stop translated, `[DONE]` emitted
  bool started() const { return started_; }            // message_start seen (role chunk emitted)
  bool tool_call() const { return tool_count_ > 0; }   // a tool call was relayed (not continuable)
  // The last event fed was model output with no OpenAI form (a thinking block or its deltas, a
  // citation): no chunk came out, but the backend is at work.
  bool hidden_progress() const { return hidden_progress_; }
  // Such a block was seen in this stream.
  bool hidden_blocks() const { return hidden_blocks_; }
  TokenUsage usage() const;                            // counts seen so far (input, output)
  const std::string& error_type() const { return error_type_; }   // e.g. "overloaded_error"
  // The OpenAI error object for an in-band frame (`data: {"error": <this>}`), "" before an error.
  const std::string& error_object() const { return error_object_; }

 private:
  Status on_message_start(const boost::json::object& data, std::string& out);
  Status on_block_start(const boost::json::object& data, std::string& out);
  Status on_block_delta(const boost::json::object& data, std::string& out);
  Status on_message_delta(const boost::json::object& data, std::string& out);
  void on_message_stop(std::string& out);
  Status on_error(const boost::json::object& data);
  // Appends `data: {"id",…,"choices":[{"index":0,"delta":delta,"finish_reason":finish}]}`.
  void emit(boost::json::object delta, std::string_view finish, std::string& out) const;

  Options options_;
  std::string id_;
  bool started_ = false;
  bool done_ = false;
  int tool_count_ = 0;
  std::map<std::int64_t, int> tool_index_;  // Anthropic block index → OpenAI tool_calls index
  std::optional<std::uint64_t> input_tokens_;
  std::optional<std::uint64_t> output_tokens_;
  std::string error_type_;
  std::string error_object_;
  bool hidden_progress_ = false;
  bool hidden_blocks_ = false;
};

}  // namespace sovgw::backends
