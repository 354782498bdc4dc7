#include "backends/connection_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sovgw::backends {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(other.pool_), conn_(std::move(other.conn_)), reused_(other.reused_) {
  other.pool_ = nullptr;
}

PooledConnection::~PooledConnection() { discard(); }

void PooledConnection::release() {
  if (!conn_ || !pool_) return;
  conn_->requests_served++;
  pool_->give_back(std::move(conn_));
  pool_ = nullptr;
}

void PooledConnection::discard() {
  if (!conn_ || !pool_) return;
  conn_->close();
  conn_.reset();
  pool_->forget_one();
  pool_ = nullptr;
}

ConnectionPool::ConnectionPool(const BackendConfig& backend, TlsClientContext tls)
    : backend_(backend), tls_(std::move(tls)) {}

net::awaitable<Result<PooledConnection>> ConnectionPool::acquire(bool fresh_only) {
  const auto now = Clock::now();
  const auto max_idle_age = std::chrono::milliseconds(backend_.idle_connection_timeout_ms);
  while (!fresh_only && !idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    // The peek costs a syscall; a connection used within the last second is trusted (if the
    // server closed it anyway, the exchange's stale-connection retry covers it).
    const bool recent = now - conn->idle_since < std::chrono::seconds(1);
    if (now - conn->idle_since < max_idle_age && (recent || conn->usable_for_reuse())) {
      co_return PooledConnection(this, std::move(conn), true);
    }
    conn->close();
    --open_;
  }

  const auto connect_timeout = std::chrono::milliseconds(backend_.connect_timeout_ms);
  if (open_ >= backend_.max_connections) {
    // Full: wait for a connection to be released or closed, up to the connect timeout.
    net::steady_timer timer(co_await net::this_coro::executor, connect_timeout);
    auto it = waiters_.insert(waiters_.end(), &timer);
    auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    waiters_.erase(it);
    if (!ec || open_ >= backend_.max_connections) {  // timer ran out, or someone else took the slot
      if (!idle_.empty() && !fresh_only) co_return co_await acquire(false);
      co_return make_error(ErrorCode::kUpstreamConnect, ErrorSource::kInternal, true,
                           "backend " + backend_.name + ": connection pool full (max_connections=" +
                               std::to_string(backend_.max_connections) + ")");
    }
    if (!idle_.empty() && !fresh_only) co_return co_await acquire(false);
  }

  ++open_;
  auto opened = co_await UpstreamConnection::open(backend_, tls_, connect_timeout);
  if (!opened) {
    forget_one();
    co_return opened.error();
  }
  co_return PooledConnection(this, std::move(*opened), false);
}

void ConnectionPool::give_back(std::unique_ptr<UpstreamConnection> conn) {
  if (backend_.max_idle_connections == 0) {
    conn->close();
    forget_one();
    return;
  }
  if (idle_.size() >= backend_.max_idle_connections) {
    // Keep the most recently used ones: close the oldest idle connection.
    idle_.front()->close();
    idle_.pop_front();
    --open_;
  }
  conn->idle_since = Clock::now();
  idle_.push_back(std::move(conn));
  wake_one_waiter();
}

void ConnectionPool::forget_one() {
  --open_;
  wake_one_waiter();
}

void ConnectionPool::wake_one_waiter() {
  if (!waiters_.empty()) waiters_.front()->cancel();
}

void ConnectionPool::close_idle() {
  for (auto& conn : idle_) conn->close();
  open_ -= idle_.size();
  idle_.clear();
}

}  // namespace sovgw::backends
