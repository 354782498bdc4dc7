// OpenAiToAnthropicStream: translates an OpenAI chat.completion.chunk SSE stream, chunk by chunk,
// into the Anthropic Messages events an Anthropic-SDK client expects (message_start, text and
// tool_use blocks with their deltas and stops, message_delta with stop_reason and usage,
// message_stop). Sits in the relay between the upstream's SseParser and the client socket; holds
// only per-stream state, never the stream. Not thread-safe: one per stream.
//
//   OpenAiToAnthropicStream t({.model = "claude-x"});
//   parser.feed(bytes, [&](const SseEvent& ev) { st = t.feed(ev.data, out); });
//   at upstream EOF: st = t.finish(out);   // closes a stream that ended without [DONE]
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

class OpenAiToAnthropicStream {
 public:
  struct Options {
    std::string model;  // model name shown to the client; "" → the first chunk's
    std::string id;     // message id; "" → the first chunk's "id"
  };

  explicit OpenAiToAnthropicStream(Options options) : options_(std::move(options)) {}

  // Translates one upstream `data:` payload (a chunk, `[DONE]`, or `{"error":…}`). Appends complete
  // Anthropic SSE events (`event: x\ndata: {...}\n\n`) to `out`, possibly none. message_delta and
  // message_stop are held until `[DONE]` because the usage chunk comes after the finish chunk.
  // An in-band error returns kUpstreamStatus and sets error_event(); malformed JSON returns
  // kUpstreamProtocol; nothing is appended on failure.
  Status feed(std::string_view data, std::string& out);

  // At upstream end of stream without `[DONE]`: closes the message if a finish_reason was seen
  // (OpenAI-compatible servers that omit `[DONE]`), else kUpstreamProtocol (truncated stream).
  Status finish(std::string& out);

  bool done() const { return done_; }     // message_stop emitted
  bool tool_call() const { return !tool_block_.empty(); }
  TokenUsage usage() const { return {input_tokens_, output_tokens_}; }
  // A complete Anthropic `event: error` SSE event for the client, "" before an error.
  const std::string& error_event() const { return error_event_; }

 private:
  void start(const boost::json::object& chunk, std::string& out);
  void on_choice(const boost::json::object& choice, std::string& out);
  void on_tool_call(const boost::json::object& call, std::string& out);
  void open_block(boost::json::object block, std::string& out);
  void close_block(std::string& out);
  void close_message(std::string& out);
  Status on_error(const boost::json::object& chunk);

  Options options_;
  bool started_ = false;
  bool done_ = false;
  int next_block_ = 0;        // index of the next content block
  int open_block_ = -1;       // index of the block started and not yet stopped, -1 for none
  bool open_is_text_ = false;
  std::map<std::int64_t, int> tool_block_;  // OpenAI tool_calls index → Anthropic block index
  std::string stop_reason_;   // from the finish chunk, "" until then
  std::optional<std::uint64_t> input_tokens_;
  std::optional<std::uint64_t> output_tokens_;
  std::string error_event_;
};

}  // namespace sovgw::backends
