#include "gateway/stream_relay.hpp"

#include <deque>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backends/openai_chunk.hpp"
#include "backends/sse_parser.hpp"
#include "cache/stream_capture.hpp"
#include "gateway/header_filter.hpp"
#include "gateway/openai_error.hpp"
#include "gateway/protocol_bridge.hpp"

namespace sovgw {

namespace net = boost::asio;
namespace http = boost::beast::http;
using backends::ChunkKind;
using backends::UpstreamExchange;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct StreamRelay::PendingEvent {
  std::string raw;
  std::string data;
  bool has_data;
  // Pass-through (an Anthropic client, an Anthropic backend): `data` is the translated chunk the
  // relay judges, `client_raw` the backend's own event the client gets ("" = nothing to write:
  // one backend event may translate to several chunks, or to none).
  bool passthrough = false;
  bool hidden_progress = false;  // a thinking block or delta: content to this client
  std::string client_raw;
  // A rewritten chunk (`data: {...}\n\n` from rewrite_chunk) replaces both bytes and data.
  void rewrite(std::string chunk) {
    data = chunk.size() >= 8 ? chunk.substr(6, chunk.size() - 8) : std::string();
    raw = std::move(chunk);
  }
};

struct StreamRelay::Attempt {
  Attempt(UpstreamExchange& e, const backends::BackendConfig& b, std::size_t index, unsigned n,
          Clock::time_point deadline)
      : exchange(e), backend(b), backend_index(index), attempts(n), progress_deadline(deadline) {}
  UpstreamExchange& exchange;
  const backends::BackendConfig& backend;
  std::size_t backend_index;
  unsigned attempts;
  Clock::time_point progress_deadline;  // time to first token, then stall limit after each progress
  std::vector<PendingEvent> held;       // role-only chunks kept until the first content
  bool finished = false;                // a finish_reason went by
  std::optional<backends::AnthropicToOpenAiStream> from_anthropic;  // an Anthropic backend's events
  bool announced = false;               // a recovery attempt's takeover comment went out
  bool passthrough = false;             // Anthropic to Anthropic: the backend's events go out as they are
};

namespace {

Error timeout_error(const backends::BackendConfig& backend, bool before_content) {
  std::string detail = "backend " + backend.name + ": ";
  detail += before_content ? "no content within " + std::to_string(backend.time_to_first_token_ms) +
                                 " ms (time-to-first-token limit)"
                           : "stream stalled: no content for " + std::to_string(backend.stream_idle_timeout_ms) + " ms";
  return make_error(ErrorCode::kUpstreamTimeout, ErrorSource::kUpstream, true, std::move(detail));
}

// Waits for the client to hang up; then aborts the upstream request. A client that sends more
// bytes (a pipelined request) has not hung up: park until the relay ends.
net::awaitable<void> watch_client(ClientConnection& client, UpstreamExchange& exchange) {
  auto event = co_await client.wait_for_close();
  if (event == ClientConnection::PeerEvent::kClosed) {
    exchange.abort();
    co_return;
  }
  if (event == ClientConnection::PeerEvent::kCancelled) co_return;
  net::steady_timer park(co_await net::this_coro::executor, net::steady_timer::time_point::max());
  co_await park.async_wait(net::as_tuple(net::use_awaitable));
}

}  // namespace

net::awaitable<StreamRelay::Outcome> StreamRelay::relay(UpstreamExchange& exchange,
                                                        const backends::BackendConfig& backend,
                                                        std::size_t backend_index, unsigned attempts) {
  // Every attempt, a recovery too, must bring its first token within the backend's limit.
  Attempt attempt(exchange, backend, backend_index, attempts,
                  Clock::now() + milliseconds(backend.time_to_first_token_ms));
  final_backend_ = backend.name;
  if (backend.protocol == backends::Protocol::kAnthropic) {
    const auto created = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
    // The usage chunk is made only when someone downstream reads it; the counts are kept anyway.
    attempt.from_anthropic.emplace(backends::AnthropicToOpenAiStream::Options{
        .model = {}, .created = created, .include_usage = client_usage_ || to_anthropic_.has_value()});
    // Same protocol on both sides and nothing to rewrite: the client gets the backend's events
    // untouched (thinking blocks, citations and all); the relay still judges their translation.
    attempt.passthrough = to_anthropic_.has_value() && mode_ == Mode::kFresh && !restorer_;
  }
  using namespace net::experimental::awaitable_operators;
  Outcome outcome;
  co_await (pump(attempt, outcome) || watch_client(client_, exchange));
  if (client_.gone() || exchange.aborted()) {
    exchange.abort();
    outcome.result = Result::kClientGone;
  }
  co_return outcome;
}

StreamRelay::EventAction StreamRelay::judge(PendingEvent& event, Attempt& attempt, bool& saw_done,
                                            std::optional<Error>& failure, std::string& error_body) {
  const auto who = [&] { return "backend " + attempt.backend.name + ": "; };  // for failures only
  if (!event.has_data) return judge_dataless(event, attempt);
  const auto info = backends::inspect_chunk(event.data);
  if (info.usage) usage_ = backends::TokenUsage{info.prompt_tokens, info.completion_tokens};
  switch (info.kind) {
    case ChunkKind::kMalformed:
      failure = make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, true, who() + "malformed stream event");
      return EventAction::kFail;
    case ChunkKind::kError:
      failure = make_error(ErrorCode::kUpstreamStatus, ErrorSource::kUpstream, true, who() + "error event in the stream");
      error_body = event.data;
      return EventAction::kFail;
    case ChunkKind::kDone:
      saw_done = true;
      return committed_ ? EventAction::kForward : EventAction::kSkip;
    case ChunkKind::kNoProgress:
      if (!committed_) return EventAction::kHold;
      if (mode_ == Mode::kFresh) return EventAction::kForward;
      if (!info.usage) return EventAction::kSkip;  // the continuation's own role chunk
      event.rewrite(backends::rewrite_chunk(event.data, stream_id_));
      return EventAction::kForward;
    case ChunkKind::kProgress: {
      const auto now = Clock::now();
      if (metrics_ && last_content_at_) metrics_->observe_inter_token(worker_, attempt.backend_index, now - *last_content_at_);
      last_content_at_ = now;
      attempt.finished = attempt.finished || info.finished;
      attempt.progress_deadline = now + milliseconds(attempt.backend.stream_idle_timeout_ms);
      return judge_progress(event, info, failure);
    }
  }
  return EventAction::kSkip;
}

// Comments (": keep-alive") go out only inside a committed stream. A pass-through event with no
// chunk of its own (content_block_start, ping, a thinking delta) is held until the commit, except
// that thinking is content to an Anthropic client: it commits the stream.
StreamRelay::EventAction StreamRelay::judge_dataless(PendingEvent& event, Attempt& attempt) {
  if (!event.passthrough) return committed_ ? EventAction::kForward : EventAction::kSkip;
  if (event.hidden_progress) {
    tainted_ = true;  // a continuation could not reproduce these blocks
    attempt.progress_deadline = Clock::now() + milliseconds(attempt.backend.stream_idle_timeout_ms);
    return committed_ ? EventAction::kForward : EventAction::kCommitAndForward;
  }
  return committed_ ? EventAction::kForward : EventAction::kHold;
}

StreamRelay::EventAction StreamRelay::judge_progress(PendingEvent& event, const backends::ChunkInfo& info,
                                                     std::optional<Error>& failure) {
  if (info.tool_call || info.other_choice) {
    if (mode_ != Mode::kFresh) {
      failure = make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, false,
                           "the recovery attempt answered with more than text");
      return EventAction::kFail;
    }
    tainted_ = true;
  }
  // A pseudonymised answer: the client gets the original values back, never the placeholders.
  std::string restored;
  const std::string* content = &info.content;
  const bool restoring = restorer_ && (!info.content.empty() || (info.finished && restorer_->held_back() > 0));
  if (restoring) {
    restored = restorer_->feed(info.content);
    if (info.finished) restored += restorer_->finish();
    content = &restored;
  }
  if (mode_ == Mode::kFresh) {
    delivered_ += *content;
    if (stream_id_.empty()) stream_id_ = backends::chunk_id(event.data);
    if (restoring) event.rewrite(backends::rewrite_chunk(event.data, {}, content));
    return committed_ ? EventAction::kForward : EventAction::kCommitAndForward;
  }
  if (mode_ == Mode::kContinue) {
    delivered_ += *content;
    event.rewrite(backends::rewrite_chunk(event.data, stream_id_, restoring ? content : nullptr));
    return EventAction::kForward;
  }
  // kRegenerate: the new answer must begin with exactly what the client already has.
  std::string_view text = *content;
  if (regen_offset_ < regen_target_) {
    const std::size_t n = std::min(text.size(), regen_target_ - regen_offset_);
    if (delivered_.compare(regen_offset_, n, text.substr(0, n)) != 0 || (info.finished && regen_offset_ + n < regen_target_)) {
      failure = make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, false,
                           "the regenerated answer differs from what was already delivered");
      return EventAction::kFail;
    }
    regen_offset_ += n;
    text.remove_prefix(n);
    if (text.empty() && !info.finished) return EventAction::kSkip;
  }
  std::string rest(text);
  delivered_ += rest;
  regen_offset_ += rest.size();
  regen_target_ = regen_offset_;
  event.rewrite(backends::rewrite_chunk(event.data, stream_id_, &rest));
  return EventAction::kForward;
}

void StreamRelay::begin_recovery(Mode mode) {
  mode_ = mode;
  capture_ = nullptr;
  regen_target_ = delivered_.size();
  regen_offset_ = 0;
}

net::awaitable<void> StreamRelay::pump(Attempt& attempt, Outcome& outcome) {
  outcome = co_await pump_events(attempt);
}

StreamRelay::Outcome StreamRelay::fail(Error error, std::string body) const {
  return Outcome{committed_ ? Result::kFailedAfterContent : Result::kFailedBeforeContent, std::move(error),
                 std::move(body)};
}

net::awaitable<StreamRelay::Outcome> StreamRelay::pump_events(Attempt& attempt) {
  backends::SseParser parser;
  std::deque<PendingEvent> ready;
  const std::string who = "backend " + attempt.backend.name + ": ";
  bool saw_done = false;
  while (!attempt.exchange.done()) {
    const auto left = std::chrono::duration_cast<milliseconds>(attempt.progress_deadline - Clock::now());
    attempt.exchange.set_read_timeout(std::max(left, milliseconds(1)));
    auto piece = co_await attempt.exchange.read_some();
    if (!piece) {
      if (piece.error().code == ErrorCode::kUpstreamTimeout && Clock::now() + milliseconds(50) >= attempt.progress_deadline) {
        co_return fail(timeout_error(attempt.backend, !committed_));
      }
      co_return fail(piece.error());
    }
    std::optional<Outcome> failure;
    const bool fits = parser.feed(*piece, [&](const backends::SseEvent& event) {
      if (!failure) take_event(attempt, event, ready, failure);
    });
    if (!fits) co_return fail(make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, true, who + "SSE event too large"));
    // Each event is judged synchronously, then awaited on in straight-line code: g++ 12
    // miscompiles co_await inside switch cases and inside && or ?: conditions.
    for (; !ready.empty(); ready.pop_front()) {
      PendingEvent event = std::move(ready.front());
      std::optional<Error> failure;
      std::string error_body;
      const EventAction action = judge(event, attempt, saw_done, failure, error_body);
      if (action == EventAction::kFail) co_return fail(std::move(*failure), std::move(error_body));
      if (action == EventAction::kSkip) continue;
      if (action == EventAction::kHold) {
        attempt.held.push_back(std::move(event));
        continue;
      }
      if (action == EventAction::kCommitAndForward) {
        const bool committed = co_await commit(attempt);
        if (!committed) co_return Outcome{Result::kClientGone, {}, {}};
      }
      const bool sent = co_await forward(attempt, event.raw, event.has_data ? std::string_view(event.data) : "", &event);
      if (!sent) co_return Outcome{Result::kClientGone, {}, {}};
    }
    // An Anthropic error event, after the events before it went their way.
    if (failure) co_return fail(std::move(failure->error), std::move(failure->error_body));
  }
  if (saw_done && committed_ && attempt.finished) co_return Outcome{Result::kCompleted, {}, {}};
  if (saw_done && committed_ && mode_ == Mode::kFresh) co_return Outcome{Result::kCompleted, {}, {}};
  if (attempt.finished && committed_) {
    // The answer was complete (it carried a finish reason) but the body ended without [DONE]:
    // finalise now rather than after a timeout.
    // (A pass-through client already has message_delta; it only lacks message_stop.)
    PendingEvent stop{{}, "[DONE]", true, true, false, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"};
    const bool sent = co_await forward(attempt, "data: [DONE]\n\n", "[DONE]", attempt.passthrough ? &stop : nullptr);
    if (!sent) co_return Outcome{Result::kClientGone, {}, {}};
    co_return Outcome{Result::kCompleted, {}, {}};
  }
  co_return fail(make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, true,
                            who + (saw_done ? "stream ended without any content" : "stream ended without [DONE]")));
}

bool StreamRelay::take_event(Attempt& attempt, const backends::SseEvent& event, std::deque<PendingEvent>& ready,
                             std::optional<Outcome>& failure) {
  if (!attempt.from_anthropic) {
    ready.push_back(PendingEvent{std::string(event.raw), event.data, event.has_data, false, false, {}});
    return true;
  }
  if (!event.has_data) return true;  // comments carry nothing; Anthropic keeps alive with `ping`
  std::string out;
  const Status translated = attempt.from_anthropic->feed(event.event, event.data, out);
  if (const auto usage = attempt.from_anthropic->usage(); usage.prompt_tokens || usage.completion_tokens) usage_ = usage;
  if (!translated) {
    // An in-band `error` event keeps Anthropic's body: the classifier knows its error types.
    const bool in_band = translated.error().code == ErrorCode::kUpstreamStatus;
    Error error = translated.error();
    error.detail = "backend " + attempt.backend.name + ": " + error.detail;
    // The outcome is settled after the events before this one went out (they may commit).
    failure = Outcome{Result::kFailedBeforeContent, std::move(error), in_band ? event.data : std::string()};
    return false;
  }
  const std::size_t first = ready.size();
  // The translator writes whole `data: {...}\n\n` events (serialised JSON has no raw newline).
  for (std::size_t pos = 0; pos < out.size();) {
    const std::size_t end = out.find("\n\n", pos);
    if (end == std::string::npos) break;
    std::string raw = out.substr(pos, end + 2 - pos);
    std::string data = out.substr(pos + 6, end - pos - 6);
    ready.push_back(PendingEvent{std::move(raw), std::move(data), true, false, false, {}});
    pos = end + 2;
  }
  const bool hidden = attempt.from_anthropic->hidden_progress();
  if (hidden) {
    // Thinking is the model at work, not a stall (for an OpenAI client it stays invisible).
    attempt.progress_deadline = Clock::now() + milliseconds(attempt.backend.stream_idle_timeout_ms);
  }
  if (attempt.passthrough) {
    if (ready.size() == first) ready.push_back(PendingEvent{{}, {}, false, false, false, {}});
    for (std::size_t i = first; i < ready.size(); ++i) ready[i].passthrough = true;
    ready.back().client_raw = std::string(event.raw);
    ready.back().hidden_progress = hidden;
  }
  return true;
}

net::awaitable<bool> StreamRelay::commit(Attempt& attempt) {
  StreamHead head{http::status::ok, 11};
  copy_response_headers(attempt.exchange.headers(), head.base());
  if (auto upstream_id = attempt.exchange.headers()["x-request-id"]; !upstream_id.empty()) {
    head.erase("x-request-id");
    head.set("x-upstream-request-id", upstream_id);
  }
  head.set(http::field::cache_control, "no-cache");
  head.set("x-request-id", request_id_);
  head.set("x-sovgw-backend", attempt.backend.name);
  head.set(http::field::trailer, "x-sovgw-final-backend");
  head.set("x-sovgw-attempts", std::to_string(attempt.attempts));
  if (!cache_result_.empty()) head.set("x-sovgw-cache", cache_result_);
  head.keep_alive(keep_alive_);
  committed_ = true;
  first_content_at_ = Clock::now();
  if (metrics_) active_.emplace(*metrics_, worker_);
  const bool started = co_await client_.start_stream(head);
  if (!started) co_return false;
  for (std::size_t i = 0; i < attempt.held.size(); ++i) {
    const bool sent = co_await write_event(attempt.held[i].raw, attempt.held[i].data, &attempt.held[i]);
    if (!sent) co_return false;
    if (capture_) capture_->on_event(attempt.held[i].data);
  }
  attempt.held.clear();
  co_return true;
}

net::awaitable<bool> StreamRelay::write_event(std::string_view raw, std::string_view data, const PendingEvent* event) {
  if (event && event->passthrough) {
    // The translation back is kept in step (a later recovery continues from its state); the
    // client gets the backend's own event.
    client_out_.clear();
    if (!data.empty()) (void)to_anthropic_->feed(data, client_out_);
    if (event->client_raw.empty()) co_return true;
    bytes_sent_ += event->client_raw.size();
    co_return co_await client_.write_chunk(event->client_raw);
  }
  if (!to_anthropic_ || data.empty()) {
    bytes_sent_ += raw.size();
    co_return co_await client_.write_chunk(raw);
  }
  client_out_.clear();
  if (!to_anthropic_->feed(data, client_out_) || client_out_.empty()) co_return true;
  bytes_sent_ += client_out_.size();
  co_return co_await client_.write_chunk(client_out_);
}

net::awaitable<bool> StreamRelay::forward(Attempt& attempt, std::string_view raw, std::string_view data,
                                          const PendingEvent* event) {
  if (mode_ != Mode::kFresh && !attempt.announced) {
    // The head named the backend that began the answer; an SSE comment (ignored by SDKs, seen
    // by anyone reading the raw stream) marks where another one took over.
    attempt.announced = true;
    const std::string note = std::string(": sovgw: the answer continues from backend ") + attempt.backend.name +
                             (mode_ == Mode::kContinue ? " (continuation)" : " (regenerated, delivered prefix skipped)") +
                             "\n\n";
    bytes_sent_ += note.size();
    const bool noted = co_await client_.write_chunk(note);
    if (!noted) {
      attempt.exchange.abort();
      co_return false;
    }
  }
  const bool sent = co_await write_event(raw, data, event);
  if (sent) {
    if (capture_ && !data.empty()) capture_->on_event(data);
    co_return true;
  }
  attempt.exchange.abort();  // the client is gone: stop the upstream generation now
  co_return false;
}

net::awaitable<bool> StreamRelay::finish() {
  // The head named the backend that began; the trailer names the one that finished (they differ
  // after a mid-stream recovery).
  http::fields trailer;
  trailer.set("x-sovgw-final-backend", final_backend_);
  const bool finished = co_await client_.finish_stream(&trailer);
  co_return finished && keep_alive_;
}

net::awaitable<bool> StreamRelay::end_with_error(ErrorCode code, std::string_view message) {
  const std::string event = to_anthropic_ ? anthropic_sse_error(http_status(code), message) : sse_error_event(code, message);
  co_await client_.write_chunk(event);
  co_return co_await finish();
}

}  // namespace sovgw
