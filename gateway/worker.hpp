// Worker: what one worker thread owns — its io_context, its connection pools (one per backend),
// its request-id generator and the list of its idle client connections (for draining). Nothing
// here is shared between threads; SharedState is, and is read-only or atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "backends/backend_health.hpp"
#include "backends/connection_pool.hpp"
#include "backends/failure_classifier.hpp"
#include "backends/tls_client_context.hpp"
#include "gateway/access_log.hpp"
#include "gateway/admin_auth.hpp"
#include "cache/response_cache.hpp"
#include "gateway/config.hpp"
#include "policy/policy_engine.hpp"
#include "policy/scan_scratch.hpp"
#include "policy/audit_log.hpp"
#include "gateway/metrics.hpp"

namespace sovgw {

// The number of worker threads for this config (gateway.workers, 0 = one per core).
unsigned worker_count(const GatewayConfig& gateway);

// Process-wide state. Written before the workers start, then read-only, except the atomics and
// the internally synchronised members (health, metrics, access_log).
struct SharedState {
  explicit SharedState(const Config& cfg)
      : config(cfg),
        classifier(cfg.failure_rules),
        policy_engine(cfg.policy.engine, cfg.gateway.home_jurisdiction,
                      cfg.policy.scanner ? cfg.policy.scanner->detector_ids() : std::vector<std::string>{}),
        metrics(cfg, worker_count(cfg.gateway), metric_vocabulary(cfg)),
        sovereign_mode(cfg.gateway.sovereign_mode) {}
  const Config& config;
  const backends::FailureClassifier classifier;                  // immutable: no locking
  const policy::PolicyEngine policy_engine;                      // immutable: no locking
  // Gateway API key -> index into config.tenants; read from the environment at startup.
  std::unordered_map<std::string, std::size_t> tenant_keys;
  std::vector<std::unique_ptr<backends::BackendHealth>> health;  // per backend; internally locked
  std::vector<backends::TlsClientContext> tls;  // per backend; null for plain http
  std::vector<std::string> api_keys;            // per backend, read from the environment at startup
  std::string models_body;                      // GET /v1/models, serialized once
  std::string anthropic_models_body;            // the same in Anthropic's shape
  Metrics metrics;                              // worker i observes through shard i
  std::unique_ptr<AccessLog> access_log;        // null when [access_log] enabled = false
  AdminAuth admin_auth;                         // the admin API's token, if configured
  std::unique_ptr<cache::ResponseCache> cache;  // null when [cache] is disabled; internally synchronised
  std::atomic<std::int64_t> active_connections{0};
  std::atomic<bool> ready{false};
  std::atomic<bool> draining{false};
  std::atomic<bool> sovereign_mode;  // only local or home-jurisdiction targets are used
  // The audit trail; null when [audit] is not configured. Opened by Server::start before any
  // listener, flushed and closed by Server::shutdown. AuditLog is internally synchronised.
  std::unique_ptr<policy::AuditLog> audit;

  // True when sovereign mode forbids this backend (it is neither local nor domestic).
  bool foreign(const backends::BackendConfig& backend) const {
    return !backend.local && backend.jurisdiction != config.gateway.home_jurisdiction;
  }
};

class Worker {
 public:
  Worker(SharedState& shared, unsigned index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::io_context& io() { return io_; }
  SharedState& shared() { return shared_; }
  const Config& config() const { return shared_.config; }
  unsigned index() const { return index_; }
  backends::ConnectionPool& pool(std::size_t backend_index) { return *pools_[backend_index]; }
  policy::ScanScratch& scratch() { return scratch_; }

  // A new random request id (32 hex digits).
  std::string next_request_id();

  // Client connections waiting for their next request; drain() cancels them.
  std::list<boost::beast::tcp_stream*>::iterator add_idle(boost::beast::tcp_stream* stream);
  void remove_idle(std::list<boost::beast::tcp_stream*>::iterator it);
  void cancel_idle_connections();

 private:
  SharedState& shared_;
  unsigned index_;
  // Declared before io_ so they outlive it: destroying io_ destroys suspended coroutines, whose
  // pooled connections report back to their pool. Idle sockets are closed first (~Worker).
  std::vector<std::unique_ptr<backends::ConnectionPool>> pools_;
  boost::asio::io_context io_{1};  // one thread: Asio may skip its internal locking
  std::mt19937_64 rng_;
  policy::ScanScratch scratch_;  // this thread's PII scan memory
  std::list<boost::beast::tcp_stream*> idle_;
};

}  // namespace sovgw
