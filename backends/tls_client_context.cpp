#include "backends/tls_client_context.hpp"

#include <openssl/ssl.h>

namespace sovgw::backends {

namespace ssl = boost::asio::ssl;

Result<TlsClientContext> make_tls_client_context(const BackendConfig& backend) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (backend.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(backend.ca_file, ec);
  }
  if (ec) {
    return make_error(ErrorCode::kUpstreamTls, ErrorSource::kInternal, false,
                      "backend " + backend.name + ": cannot load CA certificates: " + ec.message());
  }
  // Sessions are resumed per connection pool; a small cache keeps reconnects cheap.
  SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_CLIENT);
  return TlsClientContext(std::move(ctx));
}

}  // namespace sovgw::backends
