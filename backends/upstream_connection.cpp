#include "backends/upstream_connection.hpp"

#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

namespace sovgw::backends {

namespace net = boost::asio;
namespace beast = boost::beast;
using net::ip::tcp;
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);

namespace {

Error connect_error(const BackendConfig& backend, std::string_view stage, const boost::system::error_code& ec) {
  std::string what = ec == beast::error::timeout ? "timed out" : ec.message();
  return make_error(ErrorCode::kUpstreamConnect, ErrorSource::kUpstream, true,
                    "backend " + backend.name + ": " + std::string(stage) + " " + backend.url.host + ":" +
                        std::to_string(backend.url.port) + ": " + what);
}

Error tls_error(const BackendConfig& backend, TlsStream& tls, const boost::system::error_code& ec) {
  std::string what = ec == beast::error::timeout ? "timed out" : ec.message();
  long verify = SSL_get_verify_result(tls.native_handle());
  if (verify != X509_V_OK) what += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
  return make_error(ErrorCode::kUpstreamTls, ErrorSource::kUpstream, true,
                    "backend " + backend.name + ": TLS handshake with " + backend.url.host + ": " + what);
}

// SNI for names (never for IP literals, RFC 6066), and the name or IP the certificate must carry.
bool configure_verification(TlsStream& tls, const std::string& host) {
  SSL* ssl = tls.native_handle();
  boost::system::error_code ec;
  auto ip = net::ip::make_address(host, ec);
  if (!ec) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    return X509_VERIFY_PARAM_set1_ip_asc(param, ip.to_string().c_str()) == 1;
  }
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1;
}

}  // namespace

net::awaitable<Result<std::unique_ptr<UpstreamConnection>>> UpstreamConnection::open(
    const BackendConfig& backend, const TlsClientContext& tls, std::chrono::milliseconds connect_timeout) {
  auto executor = co_await net::this_coro::executor;
  const auto deadline = Clock::now() + connect_timeout;

  tcp::resolver resolver(executor);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(backend.url.host, std::to_string(backend.url.port), kAsTuple);
  if (rec) co_return connect_error(backend, "resolve", rec);

  TcpStream tcp_stream(executor);
  tcp_stream.expires_at(deadline);
  auto [cec, endpoint] = co_await tcp_stream.async_connect(endpoints, kAsTuple);
  if (cec) co_return connect_error(backend, "connect to", cec);
  (void)endpoint;
  tcp_stream.socket().set_option(tcp::no_delay(true));

  if (!backend.url.tls) {
    tcp_stream.expires_never();
    co_return std::make_unique<UpstreamConnection>(std::move(tcp_stream));
  }

  TlsStream tls_stream(std::move(tcp_stream), *tls);
  if (!configure_verification(tls_stream, backend.url.host)) {
    co_return make_error(ErrorCode::kUpstreamTls, ErrorSource::kInternal, false,
                         "backend " + backend.name + ": cannot set up TLS verification for " + backend.url.host);
  }
  auto [hec] = co_await tls_stream.async_handshake(net::ssl::stream_base::client, kAsTuple);
  if (hec) co_return tls_error(backend, tls_stream, hec);
  beast::get_lowest_layer(tls_stream).expires_never();
  co_return std::make_unique<UpstreamConnection>(std::move(tls_stream));
}

TcpStream& UpstreamConnection::tcp() {
  return visit([](auto& s) -> TcpStream& { return beast::get_lowest_layer(s); });
}

bool UpstreamConnection::usable_for_reuse() {
  auto& socket = tcp().socket();
  if (!socket.is_open()) return false;
  if (buffer_.size() != 0) return false;  // bytes after the last response: the stream is out of sync
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;                                       // peer closed
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;      // nothing to read: healthy
  // Plain HTTP: unsolicited bytes mean the stream is out of sync. TLS: they may be a TLS 1.3
  // session ticket the TLS layer has not consumed yet; a close_notify shows up on the next read
  // and is handled by the stale-connection retry.
  return std::holds_alternative<TlsStream>(stream_);
}

void UpstreamConnection::close() {
  boost::system::error_code ec;
  auto& socket = tcp().socket();
  if (socket.is_open()) {
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }
}

}  // namespace sovgw::backends
