// The admin listener's HTTP sessions (never on the client port): /healthz (the process is up),
// /readyz (config loaded, listeners bound, not draining: 200, else 503), GET /metrics (Prometheus
// text format), GET /admin/backends (states and sovereign readiness), GET|POST /admin/drill,
// GET|POST /admin/sovereign-mode (every change logged with the peer that made it). With
// GET|DELETE /admin/cache (admin_cache.hpp), POST /admin/policy/explain. With admin.token_env
// set, /admin/* (and /metrics when admin.metrics_require_token) need `Authorization: Bearer
// <token>` (AdminAuth); /healthz and /readyz stay open. Runs on worker 0.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "gateway/worker.hpp"

namespace sovgw {

boost::asio::awaitable<void> run_admin_session(Worker& worker, boost::asio::ip::tcp::socket socket);

}  // namespace sovgw
