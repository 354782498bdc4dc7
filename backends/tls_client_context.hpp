// TLS client settings for one backend: verification against the system store or the backend's CA
// bundle, TLS 1.2 minimum. Built once at startup; the SSL_CTX inside is shared by every worker
// (OpenSSL allows concurrent SSL_new from one configured SSL_CTX).
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "backends/backend_config.hpp"
#include "common/result.hpp"

namespace sovgw::backends {

using TlsClientContext = std::shared_ptr<boost::asio::ssl::context>;

// Fails (kUpstreamTls) when the CA bundle cannot be loaded.
Result<TlsClientContext> make_tls_client_context(const BackendConfig& backend);

}  // namespace sovgw::backends
