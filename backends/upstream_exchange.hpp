// UpstreamExchange: one HTTP request to a backend and its response, on a pooled connection.
// start() sends the request and reads the response header (retrying once on a fresh connection
// when a reused keep-alive connection turns out to have been closed by the server before it sent
// anything back); then the body is read whole (read_body) or piece by piece (read_some, for SSE).
// One worker thread; abort() may be called from another coroutine on the same thread.
//
//   auto ex = co_await UpstreamExchange::start(pool, request, timeouts);
//   if (!ex) ...; while (!(*ex)->done()) { auto piece = co_await (*ex)->read_some(); ... }
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "backends/connection_pool.hpp"
#include "common/result.hpp"

namespace sovgw::backends {

using UpstreamRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct ExchangeTimeouts {
  std::chrono::milliseconds first_byte{120000};  // request sent → response header complete
  std::chrono::milliseconds idle{15000};         // longest silence while reading the body
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

// Lets another coroutine on the same thread abandon an exchange that is still being started
// (the client hung up while the backend was thinking): cancel() closes the connection the request
// went out on, so the pending wait for the response header ends at once. A connect in progress is
// not interrupted (it is bounded by connect_timeout_ms).
class UpstreamCancel {
 public:
  void cancel();
  bool cancelled() const { return cancelled_; }

 private:
  friend class UpstreamExchange;
  TcpStream* active_ = nullptr;
  bool cancelled_ = false;
};

class UpstreamExchange {
 public:
  using Clock = std::chrono::steady_clock;

  static boost::asio::awaitable<Result<std::unique_ptr<UpstreamExchange>>> start(
      ConnectionPool& pool, const UpstreamRequest& request, ExchangeTimeouts timeouts,
      UpstreamCancel* cancel = nullptr);

  UpstreamExchange(PooledConnection conn, ExchangeTimeouts timeouts, std::string backend_name);
  ~UpstreamExchange();
  UpstreamExchange(const UpstreamExchange&) = delete;
  UpstreamExchange& operator=(const UpstreamExchange&) = delete;

  unsigned status() const { return parser_.get().result_int(); }
  const boost::beast::http::fields& headers() const { return parser_.get().base(); }

  // The whole body; kUpstreamProtocol when it exceeds max_bytes.
  boost::asio::awaitable<Result<std::string>> read_body(std::size_t max_bytes);

  // The next piece of the (de-chunked) body; an empty view once done(). The view is valid until
  // the next call.
  boost::asio::awaitable<Result<std::string_view>> read_some();

  bool done() const { return parser_.is_done(); }

  // The limit for the next read_some() (the stream relay tightens it to the time-to-first-token
  // or stall deadline it tracks itself).
  void set_read_timeout(std::chrono::milliseconds limit) { timeouts_.idle = limit; }

  // Closes the connection now (the client went away); a pending read completes with an error.
  void abort();
  bool aborted() const { return aborted_; }

 private:
  boost::asio::awaitable<boost::system::error_code> send_and_read_header(const UpstreamRequest& request);
  Error read_error(const boost::system::error_code& ec, std::string_view stage) const;
  void arm_timer(std::chrono::milliseconds limit);
  bool deadline_hit() const;

  PooledConnection conn_;
  ExchangeTimeouts timeouts_;
  std::string backend_name_;
  boost::beast::http::response_parser<boost::beast::http::buffer_body> parser_;
  bool aborted_ = false;
};

}  // namespace sovgw::backends
