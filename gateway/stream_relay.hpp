// StreamRelay: relays an SSE stream to the client, one write per upstream event, across the
// attempts of one request. It reasons in OpenAI chat.completion chunks: an Anthropic-protocol
// backend's events are translated into them as they arrive, and an Anthropic client gets them
// translated back into Messages events at the edge — or, Anthropic to Anthropic with nothing to
// restore or splice, the backend's own events untouched (the translation is only judged). Nothing is sent to the client (no status line, no role-only
// chunk) until the first real content arrives, so an attempt that fails before that costs only
// time and the pipeline fails over to the next target. Keep-alive comments and role-only chunks
// are not progress: the time-to-first-token and stall limits keep running through them. Once
// content has been sent, a failure ends the stream with an in-band error event and no [DONE],
// never as a clean answer. A watcher aborts the upstream request as soon as the client hangs up.
// With a StreamCapture (the response cache), every data event the client receives is fed to it,
// as long as the stream is neither restored nor recovered.
// One per streamed request, on its connection's worker thread.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "backends/anthropic_to_openai_stream.hpp"
#include "backends/backend_config.hpp"
#include "backends/openai_to_anthropic_stream.hpp"
#include "backends/openai_chunk.hpp"
#include "backends/sse_parser.hpp"
#include "backends/upstream_exchange.hpp"
#include "common/result.hpp"
#include "gateway/client_connection.hpp"
#include "gateway/metrics.hpp"
#include "policy/stream_restorer.hpp"

namespace sovgw::cache {
class StreamCapture;
}

namespace sovgw {

class StreamRelay {
 public:
  enum class Result {
    kCompleted,           // ended with [DONE] (or a finish reason and a clean end of body)
    kFailedBeforeContent, // nothing was sent to the client: free to fail over
    kFailedAfterContent,  // content was sent: the stream must end with an error event
    kClientGone,          // the client hung up; the upstream request was aborted
  };
  struct Outcome {
    Result result = Result::kCompleted;
    Error error;            // why it failed (transport errors, stall, malformed event, ...)
    std::string error_body; // the upstream's in-band error event payload, when that was the cause
  };

  StreamRelay(ClientConnection& client, std::string request_id, bool keep_alive)
      : client_(client), request_id_(std::move(request_id)), keep_alive_(keep_alive) {}

  // Relays one attempt whose response header (200, text/event-stream) has been read.
  // `attempts` is the number of attempts made so far, for the x-sovgw-attempts header.
  // `backend_index` is the backend's position in the config (a metrics label index).
  boost::asio::awaitable<Outcome> relay(backends::UpstreamExchange& exchange,
                                        const backends::BackendConfig& backend, std::size_t backend_index,
                                        unsigned attempts);

  // The client speaks Anthropic Messages: every event it gets is translated at the edge.
  void translate_for_client(std::string model) {
    to_anthropic_.emplace(backends::OpenAiToAnthropicStream::Options{.model = std::move(model), .id = {}});
  }
  // The client asked for a usage chunk (stream_options.include_usage); an Anthropic client always
  // gets usage. Decides whether an Anthropic backend's usage becomes a chunk of its own.
  void set_client_usage(bool include_usage) { client_usage_ = include_usage; }

  // Report gaps between content events and the open stream to `metrics` (worker's shard).
  void observe_with(Metrics& metrics, unsigned worker) {
    metrics_ = &metrics;
    worker_ = worker;
  }

  // The response cache's capture of the answer (null: none), and the x-sovgw-cache value the
  // stream's head carries ("" for none).
  void capture_with(cache::StreamCapture* capture) { capture_ = capture; }
  void set_cache_result(std::string result) { cache_result_ = std::move(result); }
  // Still capturing: no restoring and no recovery dropped the capture.
  bool capturing() const { return capture_ != nullptr; }

  bool committed() const { return committed_; }
  // When the first content went to the client (the time-to-first-token mark).
  std::optional<std::chrono::steady_clock::time_point> first_content_at() const { return first_content_at_; }
  // Token counts from the last usage chunk relayed, and SSE bytes written to the client.
  const backends::TokenUsage& usage() const { return usage_; }
  std::uint64_t bytes_sent() const { return bytes_sent_; }

  // The next attempt's text is pseudonymised with `mapping` (null: sent as is): placeholders are
  // restored before the client sees them, holding back at most one placeholder's length.
  // A restored stream is not captured: the client's text differs from what the upstream sent.
  void set_restorer(const policy::RedactionMapping* mapping) {
    restorer_.reset();
    if (mapping && !mapping->empty()) {
      restorer_.emplace(*mapping);
      capture_ = nullptr;
    }
  }

  // Mid-stream recovery. After kFailedAfterContent the next attempt either continues the answer
  // (the backend was asked to continue `delivered()`; its chunks are spliced in under the
  // stream's id, its role chunk dropped) or regenerates it (the already delivered prefix must
  // come back identical and is skipped; a divergence fails the attempt).
  enum class Mode { kFresh, kContinue, kRegenerate };
  // A recovered stream is not captured (its events come from several answers).
  void begin_recovery(Mode mode);
  // False once the stream carried something a continuation cannot reproduce (tool calls,
  // several choices, reasoning).
  bool recoverable() const { return committed_ && !tainted_; }
  const std::string& delivered() const { return delivered_; }

  // After kCompleted: the end of the chunked body. True when the connection may be reused.
  boost::asio::awaitable<bool> finish();

  // After kFailedAfterContent: the in-band error event, then the end of the chunked body.
  boost::asio::awaitable<bool> end_with_error(ErrorCode code, std::string_view message);

 private:
  struct Attempt;       // per-attempt state (stream_relay.cpp)
  struct PendingEvent;  // one parsed SSE event awaiting its turn
  enum class EventAction { kSkip, kHold, kForward, kCommitAndForward, kFail };
  EventAction judge(PendingEvent& event, Attempt& attempt, bool& saw_done, std::optional<Error>& failure,
                    std::string& error_body);
  EventAction judge_progress(PendingEvent& event, const backends::ChunkInfo& info, std::optional<Error>& failure);
  EventAction judge_dataless(PendingEvent& event, Attempt& attempt);
  boost::asio::awaitable<void> pump(Attempt& attempt, Outcome& outcome);
  boost::asio::awaitable<Outcome> pump_events(Attempt& attempt);
  Outcome fail(Error error, std::string body = {}) const;
  boost::asio::awaitable<bool> commit(Attempt& attempt);
  // `data`: the event's data, for the capture ("" for a comment).
  boost::asio::awaitable<bool> forward(Attempt& attempt, std::string_view raw, std::string_view data,
                                       const PendingEvent* event = nullptr);
  // One event to the client, in its protocol (an Anthropic client's may become several, or none).
  boost::asio::awaitable<bool> write_event(std::string_view raw, std::string_view data,
                                           const PendingEvent* event = nullptr);
  // Feeds one upstream event into `ready`, through the attempt's translator when it has one.
  // False (and `failure` set) when an Anthropic event is an error or cannot be translated.
  bool take_event(Attempt& attempt, const backends::SseEvent& event, std::deque<PendingEvent>& ready,
                  std::optional<Outcome>& failure);

  ClientConnection& client_;
  std::string request_id_;
  bool keep_alive_;
  bool committed_ = false;
  Mode mode_ = Mode::kFresh;
  bool tainted_ = false;
  std::optional<backends::OpenAiToAnthropicStream> to_anthropic_;  // an Anthropic client's edge
  std::string client_out_;       // to_anthropic_'s output for one event
  bool client_usage_ = false;
  std::optional<policy::StreamRestorer> restorer_;  // this attempt's placeholder restorer
  cache::StreamCapture* capture_ = nullptr;  // the response cache's, while the stream is capturable
  std::string cache_result_;                 // x-sovgw-cache on the head
  std::string final_backend_;                // the latest attempt's backend, for the trailer
  std::optional<std::chrono::steady_clock::time_point> first_content_at_;
  std::optional<std::chrono::steady_clock::time_point> last_content_at_;
  Metrics* metrics_ = nullptr;
  unsigned worker_ = 0;
  std::optional<ActiveStream> active_;  // counts this stream in sovgw_active_streams once committed
  backends::TokenUsage usage_;
  std::uint64_t bytes_sent_ = 0;
  std::string delivered_;        // choice 0's text as the client received it
  std::string stream_id_;        // the id of the stream the client sees
  std::size_t regen_target_ = 0; // kRegenerate: bytes of delivered_ the new answer must repeat
  std::size_t regen_offset_ = 0; // ... of which this many have come back so far
};

}  // namespace sovgw
