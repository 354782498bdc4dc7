#include "gateway/http_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "backends/http_wire.hpp"
#include "gateway/client_connection.hpp"
#include "gateway/openai_error.hpp"
#include "gateway/pipeline.hpp"

namespace sovgw {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using std::chrono::milliseconds;
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);

namespace {

// Keeps SharedState::active_connections right on every exit path.
class ConnectionCount {
 public:
  explicit ConnectionCount(std::atomic<std::int64_t>& count) : count_(count) {}
  ~ConnectionCount() { count_.fetch_sub(1, std::memory_order_relaxed); }
  ConnectionCount(const ConnectionCount&) = delete;
  ConnectionCount& operator=(const ConnectionCount&) = delete;

 private:
  std::atomic<std::int64_t>& count_;
};

net::awaitable<void> send_error_and_close(Worker& worker, ClientConnection& client, ErrorCode code,
                                          std::string_view message) {
  auto error = to_client_error(code, message);
  ClientResponse response{static_cast<http::status>(error.status), 11};
  response.set(http::field::content_type, "application/json");
  response.set("x-request-id", worker.next_request_id());
  response.keep_alive(false);
  response.body() = std::move(error.body);
  response.prepare_payload();
  co_await client.send(response);
}

// What went wrong while reading a request, as the client should hear it; nullopt = just close.
std::optional<std::pair<ErrorCode, std::string>> read_failure(const boost::system::error_code& ec,
                                                              const GatewayConfig& g, bool in_body) {
  if (ec == http::error::header_limit) {
    return std::pair{ErrorCode::kHeadersTooLarge,
                     "Request header is larger than the limit of " + std::to_string(g.max_header_bytes) + " bytes."};
  }
  if (ec == http::error::body_limit) {
    return std::pair{ErrorCode::kPayloadTooLarge,
                     "Request body is larger than the limit of " + std::to_string(g.max_body_bytes) + " bytes."};
  }
  if (ec == beast::error::timeout) {
    return std::pair{ErrorCode::kRequestTimeout,
                     in_body ? "Request body not received within " + std::to_string(g.body_timeout_ms) + " ms."
                             : "Request header not received within " + std::to_string(g.header_timeout_ms) + " ms."};
  }
  if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
      ec == net::error::operation_aborted || ec == http::error::partial_message) {
    return std::nullopt;
  }
  return std::pair{ErrorCode::kInvalidRequest, "Malformed HTTP request: " + ec.message() + "."};
}

// Waits for the first byte of the next request; false when the connection should close quietly.
net::awaitable<bool> wait_for_request(Worker& worker, beast::tcp_stream& stream, beast::flat_buffer& buffer) {
  if (buffer.size() != 0) co_return true;
  if (worker.shared().draining.load()) co_return false;  // draining: no new requests on kept-alive connections
  auto idle_entry = worker.add_idle(&stream);
  stream.expires_after(milliseconds(worker.config().gateway.idle_timeout_ms));
  auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kAsTuple);
  worker.remove_idle(idle_entry);
  if (ec) co_return false;  // idle timeout, peer closed, or drain
  buffer.commit(n);
  co_return true;
}

}  // namespace

net::awaitable<void> run_client_session(Worker& worker, net::ip::tcp::socket socket) {
  ConnectionCount counted(worker.shared().active_connections);
  const GatewayConfig& g = worker.config().gateway;
  socket.set_option(net::ip::tcp::no_delay(true));
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  ClientConnection client(stream, milliseconds(g.idle_timeout_ms));
  Pipeline pipeline(worker, client);

  while (co_await wait_for_request(worker, stream, buffer)) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(g.max_header_bytes);
    parser.body_limit(g.max_body_bytes);
    // Most requests arrive whole in the first read: parse them from the buffer with no async read.
    parser.eager(true);
    auto pec = backends::parse_buffered(parser, buffer);
    if (!pec && !parser.is_header_done()) {
      stream.expires_after(milliseconds(g.header_timeout_ms));
      auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kAsTuple);
      (void)hn;
      pec = hec;
    }
    if (!pec && parser.is_header_done()) {
      if (auto len = parser.content_length(); len && *len > g.max_body_bytes) pec = http::error::body_limit;
    }
    if (pec) {
      if (auto failure = read_failure(pec, g, parser.is_header_done())) {
        co_await send_error_and_close(worker, client, failure->first, failure->second);
      }
      break;
    }
    if (!parser.is_done()) {
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        co_await net::async_write(stream, net::buffer(kContinue), kAsTuple);
      }
      stream.expires_after(milliseconds(g.body_timeout_ms));
      auto [bec, bn] = co_await http::async_read(stream, buffer, parser, kAsTuple);
      (void)bn;
      if (bec) {
        if (auto failure = read_failure(bec, g, true)) {
          co_await send_error_and_close(worker, client, failure->first, failure->second);
        }
        break;
      }
    }
    stream.expires_never();
    auto request = parser.release();
    const bool keep_alive = co_await pipeline.handle(request);
    if (!keep_alive || client.gone() || worker.shared().draining.load()) break;
  }
  boost::system::error_code ec;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  stream.close();
}

net::awaitable<void> refuse_client_session(Worker& worker, net::ip::tcp::socket socket) {
  ConnectionCount counted(worker.shared().active_connections);
  beast::tcp_stream stream(std::move(socket));
  ClientConnection client(stream, milliseconds(1000));
  co_await send_error_and_close(worker, client, ErrorCode::kTooManyConnections,
                                "The gateway is at its connection limit; retry shortly.");
  stream.close();
}

}  // namespace sovgw
