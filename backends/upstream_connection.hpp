// UpstreamConnection: one open connection to a backend, plain TCP or TLS, with its own read buffer.
// Opened by ConnectionPool (resolve, connect, TLS handshake with SNI and hostname/IP verification)
// and used by UpstreamExchange for one request at a time. Lives on one worker thread.
#pragma once

#include <chrono>
#include <memory>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "backends/backend_config.hpp"
#include "backends/tls_client_context.hpp"
#include "common/result.hpp"

namespace sovgw::backends {

using TcpStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

class UpstreamConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // Resolves the backend's host, connects within `connect_timeout` (all addresses in turn) and,
  // for https, completes the TLS handshake within what is left of it.
  static boost::asio::awaitable<Result<std::unique_ptr<UpstreamConnection>>> open(
      const BackendConfig& backend, const TlsClientContext& tls, std::chrono::milliseconds connect_timeout);

  explicit UpstreamConnection(TcpStream tcp) : stream_(std::in_place_type<TcpStream>, std::move(tcp)) {
    buffer_.reserve(kBufferSize);
  }
  explicit UpstreamConnection(TlsStream tls) : stream_(std::in_place_type<TlsStream>, std::move(tls)) {
    buffer_.reserve(kBufferSize);
  }

  // Calls f(TcpStream&) or f(TlsStream&); f returns the same type for both.
  template <typename F>
  decltype(auto) visit(F&& f) {
    return std::visit(std::forward<F>(f), stream_);
  }

  // The TCP layer, where timeouts are set and where close() acts.
  TcpStream& tcp();
  // The stream itself when the connection is plain TCP (no TLS layer to go through); else null.
  TcpStream* plain() { return std::get_if<TcpStream>(&stream_); }
  boost::beast::flat_buffer& buffer() { return buffer_; }
  // The read buffer's starting capacity: a typical answer (header and body) arrives in one read.
  static constexpr std::size_t kBufferSize = 16 * 1024;
  // Scratch space for body pieces (SSE relay), allocated once per connection, never zeroed.
  static constexpr std::size_t kPieceSize = 16 * 1024;
  char* piece() {
    if (!piece_) piece_.reset(new char[kPieceSize]);
    return piece_.get();
  }

  // True when the peer has not closed the idle connection and sent nothing unexpected
  // (a non-blocking peek; the stale-connection check before reuse).
  bool usable_for_reuse();
  void close();

  Clock::time_point idle_since{};
  std::uint64_t requests_served = 0;

 private:
  std::variant<TcpStream, TlsStream> stream_;
  boost::beast::flat_buffer buffer_;
  std::unique_ptr<char[]> piece_;
};

}  // namespace sovgw::backends
