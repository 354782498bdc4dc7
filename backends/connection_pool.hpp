// ConnectionPool: keep-alive connections to one backend, owned by one worker thread (no locks:
// a connection never changes thread). Bounded: at most max_connections open; at most
// max_idle_connections kept idle, each for at most idle_connection_timeout_ms. A caller that finds
// the pool full waits for a release until its connect deadline.
#pragma once

#include <chrono>
#include <deque>
#include <list>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "backends/backend_config.hpp"
#include "backends/tls_client_context.hpp"
#include "backends/upstream_connection.hpp"
#include "common/result.hpp"

namespace sovgw::backends {

class ConnectionPool;

// A connection on loan from the pool. Destroying it without release() closes the connection.
class PooledConnection {
 public:
  PooledConnection(ConnectionPool* pool, std::unique_ptr<UpstreamConnection> conn, bool reused)
      : pool_(pool), conn_(std::move(conn)), reused_(reused) {}
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&&) = delete;
  ~PooledConnection();

  UpstreamConnection& operator*() { return *conn_; }
  UpstreamConnection* operator->() { return conn_.get(); }
  bool reused() const { return reused_; }  // came from the idle list (may turn out stale)

  void release();  // back to the idle list: the last response was read completely
  void discard();  // close it now (error, cancelled, or the peer asked to close)

 private:
  ConnectionPool* pool_;
  std::unique_ptr<UpstreamConnection> conn_;
  bool reused_;
};

class ConnectionPool {
 public:
  ConnectionPool(const BackendConfig& backend, TlsClientContext tls);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection that still looks alive, or a new one. `fresh_only` skips the idle list
  // (the retry after a stale reused connection).
  boost::asio::awaitable<Result<PooledConnection>> acquire(bool fresh_only = false);

  const BackendConfig& backend() const { return backend_; }
  std::size_t open_connections() const { return open_; }
  std::size_t idle_connections() const { return idle_.size(); }

  // Closes every idle connection (shutdown).
  void close_idle();

 private:
  friend class PooledConnection;
  void give_back(std::unique_ptr<UpstreamConnection> conn);
  void forget_one();
  void wake_one_waiter();

  const BackendConfig& backend_;
  TlsClientContext tls_;
  std::size_t open_ = 0;  // idle + on loan + being opened
  std::deque<std::unique_ptr<UpstreamConnection>> idle_;  // most recently used at the back
  std::list<boost::asio::steady_timer*> waiters_;          // callers waiting for a free slot
};

}  // namespace sovgw::backends
