#include "gateway/worker.hpp"

#include <algorithm>
#include <thread>

namespace sovgw {

unsigned worker_count(const GatewayConfig& gateway) {
  return gateway.workers != 0 ? gateway.workers : std::max(1u, std::thread::hardware_concurrency());
}

Worker::Worker(SharedState& shared, unsigned index) : shared_(shared), index_(index) {
  const auto& cfg = shared.config;
  pools_.reserve(cfg.backends.size());
  for (std::size_t i = 0; i < cfg.backends.size(); ++i) {
    pools_.push_back(std::make_unique<backends::ConnectionPool>(cfg.backends[i], shared.tls[i]));
  }
  std::random_device seed;
  rng_.seed((static_cast<std::uint64_t>(seed()) << 32) ^ seed() ^ index);
}

Worker::~Worker() {
  for (auto& pool : pools_) pool->close_idle();
}

std::string Worker::next_request_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = rng_();
    for (int i = 0; i < 16; ++i, bits >>= 4) id[half * 16 + i] = kHex[bits & 0xf];
  }
  return id;
}

std::list<boost::beast::tcp_stream*>::iterator Worker::add_idle(boost::beast::tcp_stream* stream) {
  return idle_.insert(idle_.end(), stream);
}

void Worker::remove_idle(std::list<boost::beast::tcp_stream*>::iterator it) { idle_.erase(it); }

void Worker::cancel_idle_connections() {
  for (auto* stream : idle_) stream->cancel();
}

}  // namespace sovgw
