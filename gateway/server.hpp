// Server: sovgw's process-level runtime. N worker threads, each with its own io_context and its own
// SO_REUSEPORT acceptor on the client port (Envoy's model: the kernel spreads connections, a
// connection never changes thread, nothing on the hot path takes a lock). Worker 0 also serves the
// admin listener. shutdown() drains: readiness goes 503, acceptors close, idle keep-alive
// connections close, in-flight requests get up to drain_timeout_ms. The audit trail is opened
// before any listener (a store that cannot be opened stops the start) and flushed after the
// workers have stopped.
//
//   Server server(config);
//   if (auto st = server.start(); !st) { ...; }
//   ... server.shutdown();
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "common/result.hpp"
#include "gateway/config.hpp"
#include "gateway/health_prober.hpp"
#include "gateway/worker.hpp"

namespace sovgw {

class Server {
 public:
  explicit Server(Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Prepares TLS contexts and keys, binds every listener, starts the worker threads.
  Status start();
  // Graceful stop; blocks until drained (or the drain timeout) and the threads have joined.
  void shutdown();
  // Reopens the access log file (log rotation: SIGHUP). Any thread.
  void reopen_logs();

  // Bound addresses, with the real port when the config said 0.
  std::string listen_address() const { return listen_address_; }
  std::string admin_address() const { return admin_address_; }
  unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }

 private:
  Status open_audit();
  void close_audit();
  Status prepare_backends();
  Status load_tenant_keys();
  Status open_cache();
  Status bind_listeners();
  Status open_operations();

  Config config_;
  SharedState shared_;
  std::unique_ptr<HealthProber> prober_;  // on worker 0; outlives the workers' io_contexts
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;  // one per worker
  std::unique_ptr<boost::asio::ip::tcp::acceptor> admin_acceptor_;          // on worker 0
  std::vector<std::thread> threads_;
  std::string listen_address_;
  std::string admin_address_;
  bool stopped_ = false;
};

}  // namespace sovgw
