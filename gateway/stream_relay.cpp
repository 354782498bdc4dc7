// Pipeline::relay_stream: an upstream SSE stream relayed to the client event by event (one chunk
// per event, as it arrives, nothing buffered beyond the event being parsed). Alongside the relay a
// watcher waits for the client to hang up and then aborts the upstream request at once. A stream
// that does not end in `data: [DONE]` ends with an in-band error event instead, never as a clean
// answer.
#include <deque>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backends/sse_parser.hpp"
#include "gateway/header_filter.hpp"
#include "gateway/log.hpp"
#include "gateway/openai_error.hpp"
#include "gateway/pipeline.hpp"

namespace sovgw {

namespace net = boost::asio;
namespace http = boost::beast::http;
using backends::UpstreamExchange;

namespace {

struct RelayOutcome {
  bool saw_done = false;
  std::optional<Error> error;  // why the stream did not end cleanly
};

// Reads the upstream body and writes each complete SSE event to the client as its own chunk.
net::awaitable<void> pump(UpstreamExchange& exchange, ClientConnection& client, const std::string& backend,
                          RelayOutcome& outcome) {
  backends::SseParser parser;
  std::deque<std::string> ready;  // events completed by the last read, in order
  for (;;) {
    auto piece = co_await exchange.read_some();
    if (!piece) {
      outcome.error = piece.error();
      co_return;
    }
    if (piece->empty() && exchange.done()) break;
    const bool fits = parser.feed(*piece, [&](const backends::SseEvent& event) {
      if (event.data == "[DONE]") outcome.saw_done = true;
      ready.emplace_back(event.raw);
    });
    for (; !ready.empty(); ready.pop_front()) {
      if (!co_await client.write_chunk(ready.front())) {
        exchange.abort();  // the client is gone: stop the upstream generation now
        co_return;
      }
    }
    if (!fits) {
      outcome.error = make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, false,
                                 "backend " + backend + ": SSE event too large");
      exchange.abort();
      co_return;
    }
  }
  if (!outcome.saw_done) {
    outcome.error = make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, false,
                               "backend " + backend + " ended the stream without [DONE]");
  }
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

net::awaitable<bool> Pipeline::relay_stream(Context& ctx, std::unique_ptr<UpstreamExchange> exchange,
                                            const std::string& backend) {
  StreamHead head{http::status::ok, 11};
  copy_response_headers(exchange->headers(), head.base());
  if (auto upstream_id = exchange->headers()["x-request-id"]; !upstream_id.empty()) {
    head.erase("x-request-id");
    head.set("x-upstream-request-id", upstream_id);
  }
  head.set(http::field::cache_control, "no-cache");
  head.set("x-request-id", ctx.request_id);
  head.set("x-sovgw-backend", backend);
  head.keep_alive(ctx.keep_alive);
  if (!co_await client_.start_stream(head)) {
    exchange->abort();
    co_return false;
  }

  using namespace net::experimental::awaitable_operators;
  RelayOutcome outcome;
  co_await (pump(*exchange, client_, backend, outcome) || watch_client(client_, *exchange));
  if (client_.gone() || (outcome.error && outcome.error->code == ErrorCode::kClientGone)) {
    log_info("request_id=" + ctx.request_id + " client closed the stream; upstream request to " + backend +
             " cancelled");
    co_return false;
  }
  exchange.reset();  // back to the pool (when complete) before the last writes
  if (outcome.error) {
    log_warn("request_id=" + ctx.request_id + " stream incomplete: " + outcome.error->detail);
    const std::string message = "The stream from backend " + backend +
                                " ended before completion; the answer is incomplete (" + outcome.error->detail + ").";
    co_await client_.write_chunk(sse_error_event(outcome.error->code, message));
  }
  const bool finished = co_await client_.finish_stream();
  co_return finished && ctx.keep_alive;
}

}  // namespace sovgw
