// Carrying out behaviours: JSON answers, SSE streams and the scripted failures.
#include "responder.hpp"

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <ctime>
#include <string>
#include <variant>

#include "anthropic_answers.hpp"
#include "openai_answers.hpp"
#include "reply.hpp"

namespace sovgw::fake {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::awaitable;
using tcp = net::ip::tcp;
using namespace net::experimental::awaitable_operators;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kReadChunk = 4096;

// Completes only when the peer closes or resets the connection (or when cancelled). Whatever the
// peer sends meanwhile (a pipelined request) is kept in `buffer` for the session to parse later.
template <class Stream>
awaitable<void> watch_peer(Stream& stream, beast::flat_buffer& buffer) {
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kTuple);
    if (ec) co_return;
    buffer.commit(n);
  }
}

// True when the full delay elapsed, false when cancelled.
awaitable<bool> sleep_ms(int ms) {
  net::steady_timer timer(co_await net::this_coro::executor, std::chrono::milliseconds(ms));
  auto [ec] = co_await timer.async_wait(kTuple);
  co_return !ec;
}

// Returns only when cancelled: the writer's half of stall_after.
awaitable<void> wait_forever() {
  net::steady_timer timer(co_await net::this_coro::executor, net::steady_timer::time_point::max());
  co_await timer.async_wait(kTuple);
}

template <class Stream>
void close_now(Stream& stream, bool reset) {
  auto& socket = beast::get_lowest_layer(stream);
  beast::error_code ignored;
  if (reset) {
    socket.set_option(net::socket_base::linger(true, 0), ignored);  // close() then sends RST
  } else {
    socket.shutdown(tcp::socket::shutdown_both, ignored);
  }
  socket.close(ignored);
}

void set_outcome(const Exchange& ex, Outcome outcome) {
  ex.server.recorder.set_outcome(ex.seq, outcome);
}

AnswerIds ids_for(const Exchange& ex) {
  return {ex.seq, static_cast<std::int64_t>(std::time(nullptr))};
}

// x-request-id on every /v1 answer; Anthropic's own name for it too on /v1/messages.
std::vector<std::pair<std::string, std::string>> common_headers(const Exchange& ex) {
  const auto id = "req_fake_" + std::to_string(ex.seq);
  std::vector<std::pair<std::string, std::string>> headers{{"x-request-id", id},
                                                           {"x-fake-name", ex.server.name}};
  if (ex.info.endpoint == Endpoint::kMessages) headers.emplace_back("request-id", id);
  return headers;
}

Reply with_common_headers(const Exchange& ex, Reply reply) {
  auto headers = common_headers(ex);
  reply.headers.insert(reply.headers.begin(), headers.begin(), headers.end());
  return reply;
}

Reply normal_reply(const Exchange& ex) {
  if (ex.info.endpoint == Endpoint::kUnknown) {
    return with_common_headers(
        ex, {404,
             "application/json",
             error_json("Invalid URL (" + ex.route + ")", "invalid_request_error", ""),
             {}});
  }
  const auto content = answer_content(ex.behaviour, ex.info, ex.server.name);
  return with_common_headers(
      ex, {200, "application/json", json_answer(ex.behaviour, ex.info, ids_for(ex), content), {}});
}

Reply status_reply(const Exchange& ex) {
  const auto& b = ex.behaviour;
  std::string body;
  if (b.body) {
    body = *b.body;
  } else if (ex.info.endpoint == Endpoint::kMessages) {
    body = anthropic_status_error_json(b.status);
  } else {
    body = status_error_json(b.status);
  }
  Reply reply{static_cast<unsigned>(b.status), b.content_type, std::move(body), b.headers};
  return with_common_headers(ex, std::move(reply));
}

template <class Stream>
awaitable<bool> send_reply(Stream& stream, const Exchange& ex, Reply reply) {
  auto ec = co_await write_reply(stream, std::move(reply), ex.version, ex.keep_alive);
  set_outcome(ex, ec ? Outcome::kClientClosed : Outcome::kCompleted);
  co_return !ec && ex.keep_alive;
}

// The writer's half of a stream: header, one chunk per event, then the plan's ending. Returns
// false when a write failed or it was cancelled.
template <class Stream>
awaitable<bool> write_events(Stream& stream, const Exchange& ex, const StreamPlan& plan,
                             int delay_ms) {
  http::response<http::empty_body> res{http::status::ok, ex.version};
  res.set(http::field::content_type, "text/event-stream");
  res.set(http::field::cache_control, "no-cache");
  for (const auto& [name, value] : common_headers(ex)) res.set(name, value);
  res.keep_alive(ex.keep_alive);
  res.chunked(true);
  http::response_serializer<http::empty_body> serializer{res};
  if (auto [ec, n] = co_await http::async_write_header(stream, serializer, kTuple); ec)
    co_return false;
  for (std::size_t i = 0; i < plan.events.size(); ++i) {
    if (i > 0 && delay_ms > 0 && !co_await sleep_ms(delay_ms)) co_return false;
    auto [ec, n] =
        co_await net::async_write(stream, http::make_chunk(net::buffer(plan.events[i])), kTuple);
    if (ec) co_return false;
    ex.server.recorder.add_chunk(ex.seq);
  }
  switch (plan.end) {
    case StreamEnd::kClean: {
      auto [ec, n] = co_await net::async_write(stream, http::make_chunk_last(), kTuple);
      co_return !ec;
    }
    case StreamEnd::kClose: co_return true;
    case StreamEnd::kStall:
      set_outcome(ex, Outcome::kHanging);
      co_await wait_forever();
      co_return false;
  }
  co_return false;
}

template <class Stream>
awaitable<bool> send_stream(Stream& stream, beast::flat_buffer& buffer, const Exchange& ex,
                            int delay_ms) {
  const auto content = answer_content(ex.behaviour, ex.info, ex.server.name);
  const auto plan = plan_stream(ex.behaviour, ex.info, ids_for(ex), content);
  // Whichever finishes first cancels the other: a peer that leaves stops the writer.
  auto result = co_await (write_events(stream, ex, plan, delay_ms) || watch_peer(stream, buffer));
  if (result.index() == 1 || !std::get<0>(result)) {
    set_outcome(ex, Outcome::kClientClosed);
    co_return false;
  }
  set_outcome(ex, Outcome::kCompleted);
  if (plan.end == StreamEnd::kClose) {
    close_now(stream, false);
    co_return false;
  }
  co_return ex.keep_alive;
}

template <class Stream>
awaitable<bool> send_normal(Stream& stream, beast::flat_buffer& buffer, const Exchange& ex,
                            int delay_ms) {
  if (ex.info.stream && can_stream(ex.info.endpoint))
    co_return co_await send_stream(stream, buffer, ex, delay_ms);
  co_return co_await send_reply(stream, ex, normal_reply(ex));
}

}  // namespace

template <class Stream>
awaitable<bool> respond(Stream& stream, beast::flat_buffer& buffer, const Exchange& ex) {
  const auto& b = ex.behaviour;
  switch (b.action) {
    case Action::kNormal:
    case Action::kToolCall:  // json_answer() and plan_stream() shape the tool call
      co_return co_await send_normal(stream, buffer, ex, b.delay_ms);
    case Action::kStatus: co_return co_await send_reply(stream, ex, status_reply(ex));
    case Action::kReset:
      set_outcome(ex, Outcome::kReset);
      close_now(stream, true);
      co_return false;
    case Action::kHang:
      set_outcome(ex, Outcome::kHanging);
      co_await watch_peer(stream, buffer);
      set_outcome(ex, Outcome::kClientClosed);
      co_return false;
    case Action::kSlowFirstByte: {
      auto waited = co_await (sleep_ms(b.delay_ms) || watch_peer(stream, buffer));
      if (waited.index() == 1) {
        set_outcome(ex, Outcome::kClientClosed);
        co_return false;
      }
      co_return co_await send_normal(stream, buffer, ex, 0);
    }
    case Action::kStream:
    case Action::kCloseAfter:
    case Action::kStallAfter:
    case Action::kMalformed:
    case Action::kNoDone:
    case Action::kErrorAfter:
      if (!can_stream(ex.info.endpoint))
        co_return co_await send_reply(stream, ex, normal_reply(ex));
      co_return co_await send_stream(stream, buffer, ex, b.delay_ms);
  }
  co_return false;
}

template awaitable<bool> respond(tcp::socket&, beast::flat_buffer&, const Exchange&);
template awaitable<bool> respond(net::ssl::stream<tcp::socket>&, beast::flat_buffer&,
                                 const Exchange&);

}  // namespace sovgw::fake
