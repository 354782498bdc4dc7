// HttpClient's raw mode (see http_client.hpp): a writer sends the pieces, pausing between them,
// while a reader collects everything the server sends until it closes or the deadline passes;
// whichever ends first does not leave the other pending.
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <cctype>

#include "tests/support/http_client.hpp"
#include "tests/support/http_client_internal.hpp"

namespace sovgw::testing {
namespace http_internal {
namespace {

awaitable<void> raw_send(beast::tcp_stream& s, asio::steady_timer& pause, const std::vector<std::string>& pieces,
                         const RawOptions& o, const bool& reader_done, RawResult& r) {
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0 && o.interval.count() > 0) {
      pause.expires_after(o.interval);
      co_await pause.async_wait(kAsTuple);
    }
    if (reader_done) co_return;
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(pieces[i]), kAsTuple);
    if (ec) {
      if (!reader_done) r.send_error = describe(ec);
      co_return;
    }
  }
  if (o.shutdown_send) {
    beast::error_code ignored;
    s.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
}

awaitable<void> raw_receive(beast::tcp_stream& s, asio::steady_timer& pause, bool& reader_done, RawResult& r,
                            Clock::time_point t0) {
  char buf[16384];
  for (;;) {
    auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), kAsTuple);
    r.received.append(buf, n);
    if (!ec) continue;
    if (ec == beast::error::timeout) {
      r.timed_out = true;
    } else if (ec == asio::error::eof) {
      r.peer_closed = true;
    } else {
      r.peer_closed = true;
      r.reset = ec == asio::error::connection_reset;
    }
    break;
  }
  r.closed_after_ms = ms_since(t0);
  reader_done = true;
  pause.cancel();
  beast::error_code ignored;
  s.socket().close(ignored);  // ends a send still in progress
}

}  // namespace

awaitable<RawResult> raw_exchange(Url u, const std::vector<std::string>& pieces, RawOptions o) {
  using namespace asio::experimental::awaitable_operators;
  RawResult r;
  const auto t0 = Clock::now();
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(u.host, u.port, kAsTuple);
  if (rec) {
    r.send_error = describe(rec);
    co_return r;
  }
  beast::tcp_stream s(ex);
  s.expires_at(t0 + o.timeout);
  auto [cec, ep] = co_await s.async_connect(endpoints, kAsTuple);
  if (cec) {
    r.send_error = describe(cec);
    co_return r;
  }
  asio::steady_timer pause(ex);
  bool reader_done = false;
  co_await (raw_send(s, pause, pieces, o, reader_done, r) && raw_receive(s, pause, reader_done, r, t0));
  co_return r;
}

}  // namespace http_internal

int RawResult::status() const {
  // "HTTP/1.1 431 Request Header Fields Too Large"
  if (!received.starts_with("HTTP/1.") || received.size() < 12 || received[8] != ' ') return 0;
  int code = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(received[i]))) return 0;
    code = code * 10 + (received[i] - '0');
  }
  return code;
}

}  // namespace sovgw::testing
