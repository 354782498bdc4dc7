#include "backends/upstream_exchange.hpp"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "backends/http_wire.hpp"

namespace sovgw::backends {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kPieceSize = UpstreamConnection::kPieceSize;

namespace {

// Errors that mean "the server had closed this keep-alive connection before our request arrived".
bool is_stale_connection_error(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::ssl::error::stream_truncated;
}

long long ms(std::chrono::milliseconds d) { return static_cast<long long>(d.count()); }

}  // namespace

void UpstreamCancel::cancel() {
  cancelled_ = true;
  if (active_) {
    boost::system::error_code ec;
    active_->socket().close(ec);
  }
}

net::awaitable<Result<std::unique_ptr<UpstreamExchange>>> UpstreamExchange::start(
    ConnectionPool& pool, const UpstreamRequest& request, ExchangeTimeouts timeouts, UpstreamCancel* cancel) {
  const auto gone = [&] {
    return make_error(ErrorCode::kClientGone, ErrorSource::kDownstream, false,
                      "backend " + pool.backend().name + ": request cancelled, the client went away");
  };
  for (int attempt = 0;; ++attempt) {
    auto conn = co_await pool.acquire(attempt > 0);
    if (!conn) co_return conn.error();
    const bool reused = conn->reused();
    auto exchange = std::make_unique<UpstreamExchange>(std::move(*conn), timeouts, pool.backend().name);
    if (cancel && cancel->cancelled_) {
      exchange->aborted_ = true;
      co_return gone();
    }
    if (cancel) cancel->active_ = &exchange->conn_->tcp();
    auto ec = co_await exchange->send_and_read_header(request);
    if (cancel) cancel->active_ = nullptr;
    if (cancel && cancel->cancelled_) {
      exchange->aborted_ = true;
      co_return gone();
    }
    if (!ec) co_return exchange;
    // A reused connection the server closed while it sat idle: nothing was answered, so sending
    // the request once more on a fresh connection is safe.
    if (attempt == 0 && reused && !exchange->parser_.got_some() && is_stale_connection_error(ec)) continue;
    co_return exchange->read_error(ec, "waiting for the response header");
  }
}

UpstreamExchange::UpstreamExchange(PooledConnection conn, ExchangeTimeouts timeouts, std::string backend_name)
    : conn_(std::move(conn)), timeouts_(timeouts), backend_name_(std::move(backend_name)) {
  parser_.body_limit(boost::none);  // read_body enforces its own limit; streams are unbounded
  parser_.header_limit(64 * 1024);
}

UpstreamExchange::~UpstreamExchange() {
  if (!aborted_ && parser_.is_done() && parser_.keep_alive()) {
    conn_->tcp().expires_never();
    conn_.release();
  } else {
    conn_.discard();
  }
}

net::awaitable<boost::system::error_code> UpstreamExchange::send_and_read_header(const UpstreamRequest& request) {
  if (auto* plain = conn_->plain()) {
    // Plain TCP: the head and body go out in one gather write, usually without waiting at all
    // (write_whole arms the timer itself, only if it has to wait).
    const std::string head = serialize_head(request.base());
    const std::array buffers{net::buffer(head), net::buffer(request.body())};
    if (auto wec = co_await write_whole(*plain, buffers, timeouts_.first_byte, timeouts_.deadline)) co_return wec;
  } else {
    arm_timer(timeouts_.first_byte);
    auto [wec, wn] = co_await conn_->visit(
        [&](auto& stream) { return http::async_write(stream, request, kAsTuple); });
    (void)wn;
    if (wec) co_return wec;
  }
  arm_timer(timeouts_.first_byte);
  auto [rec, rn] = co_await conn_->visit(
      [&](auto& stream) { return http::async_read_header(stream, conn_->buffer(), parser_, kAsTuple); });
  (void)rn;
  co_return rec;
}

net::awaitable<Result<std::string>> UpstreamExchange::read_body(std::size_t max_bytes) {
  std::string body;
  if (auto len = parser_.content_length(); len && *len <= max_bytes) body.reserve(*len);
  while (!done()) {
    auto piece = co_await read_some();
    if (!piece) co_return piece.error();
    if (body.size() + piece->size() > max_bytes) {
      abort();
      co_return make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, false,
                           "backend " + backend_name_ + ": response body larger than " +
                               std::to_string(max_bytes) + " bytes");
    }
    body.append(*piece);
  }
  co_return body;
}

net::awaitable<Result<std::string_view>> UpstreamExchange::read_some() {
  if (done()) co_return std::string_view{};
  char* piece = conn_->piece();
  auto& body = parser_.get().body();
  body.data = piece;
  body.size = kPieceSize;
  // Bytes already buffered (usually the whole body, read with the header) are parsed here without
  // an async read, which would only post its completion.
  if (auto ec = parse_buffered(parser_, conn_->buffer()); ec) co_return read_error(ec, "reading the response body");
  if (const std::size_t got = kPieceSize - body.size; got > 0 || done()) co_return std::string_view(piece, got);
  for (;;) {
    body.data = piece;
    body.size = kPieceSize;
    arm_timer(timeouts_.idle);
    auto [ec, n] = co_await conn_->visit(
        [&](auto& stream) { return http::async_read_some(stream, conn_->buffer(), parser_, kAsTuple); });
    (void)n;
    if (ec == http::error::need_buffer) ec = {};
    if (aborted_) co_return read_error(net::error::operation_aborted, "reading the response body");
    if (ec) co_return read_error(ec, "reading the response body");
    const std::size_t got = kPieceSize - parser_.get().body().size;
    if (got > 0 || done()) co_return std::string_view(piece, got);
  }
}

void UpstreamExchange::abort() {
  // Close the socket but keep the connection object until the destructor: a read or write may
  // still be pending on it and completes (with an error) after this returns.
  aborted_ = true;
  conn_->close();
}

void UpstreamExchange::arm_timer(std::chrono::milliseconds limit) {
  const auto now = Clock::now();
  if (timeouts_.deadline != Clock::time_point::max() && timeouts_.deadline - now < limit) {
    conn_->tcp().expires_at(std::max(timeouts_.deadline, now));
  } else {
    conn_->tcp().expires_after(limit);
  }
}

bool UpstreamExchange::deadline_hit() const {
  return timeouts_.deadline != Clock::time_point::max() &&
         Clock::now() + std::chrono::milliseconds(1) >= timeouts_.deadline;
}

Error UpstreamExchange::read_error(const boost::system::error_code& ec, std::string_view stage) const {
  const std::string who = "backend " + backend_name_ + ": ";
  if (aborted_) {
    return make_error(ErrorCode::kClientGone, ErrorSource::kDownstream, false, who + "request cancelled");
  }
  if (ec == beast::error::timeout) {
    std::string which;
    if (deadline_hit()) {
      which = "request deadline reached";
    } else if (!parser_.is_header_done()) {
      which = "no response within " + std::to_string(ms(timeouts_.first_byte)) + " ms (first-byte timeout)";
    } else {
      which = "no data for " + std::to_string(ms(timeouts_.idle)) + " ms (idle timeout)";
    }
    return make_error(ErrorCode::kUpstreamTimeout, ErrorSource::kUpstream, true,
                      who + which + " while " + std::string(stage));
  }
  if (!parser_.got_some() && is_stale_connection_error(ec)) {
    return make_error(ErrorCode::kUpstreamConnect, ErrorSource::kUpstream, true,
                      who + "connection closed before any response (" + ec.message() + ")");
  }
  if (ec.category() == http::make_error_code(http::error::partial_message).category()) {
    return make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, true,
                      who + "invalid or truncated HTTP response while " + std::string(stage) + " (" +
                          ec.message() + ")");
  }
  return make_error(ErrorCode::kUpstreamProtocol, ErrorSource::kUpstream, true,
                    who + "connection failed while " + std::string(stage) + " (" + ec.message() + ")");
}

}  // namespace sovgw::backends
