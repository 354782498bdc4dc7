// The admin listener's HTTP sessions (never on the client port): /healthz (the process is up),
// /readyz (config loaded, listeners bound, not draining: 200, else 503), GET /admin/backends
// (states and sovereign readiness), GET|POST /admin/drill, GET|POST /admin/sovereign-mode
// (every change logged with the peer that made it), GET|DELETE /admin/cache (admin_cache.hpp).
// Runs on worker 0.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "gateway/worker.hpp"

namespace sovgw {

boost::asio::awaitable<void> run_admin_session(Worker& worker, boost::asio::ip::tcp::socket socket);

}  // namespace sovgw
