// ResponseCache: stored answers over RocksDB at cache.path, keyed by CacheKey. Entries carry
// their write time and are served fresh up to ttl, kept for stale-if-error up to
// stale_if_error; the database is bounded by max_bytes (FIFO compaction: the oldest files go
// first) and compressed (LZ4, else ZSTD, else Snappy, else none — whatever the RocksDB build
// supports). Used by the request path (lookup before choosing targets, store on completion) and
// the admin API (clear, stats).
// Threading: every RocksDB call runs on the cache's own small thread pool, never on an I/O
// thread. The awaitable operations post the work there and resume on the caller's executor.
// The *_blocking methods do the work on the calling thread: for the pool itself, tests and
// benchmarks only. note_stale_served() is safe from any thread.
//
//   auto cache = ResponseCache::open({.path = "/var/lib/sovgw/cache"});
//   if (!cache) fail(cache.error().detail);
//   auto found = co_await (*cache)->lookup(key);            // on a worker thread
//   if (found && found->fresh) replay(*found);
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "cache/cache_key.hpp"
#include "cache/cached_answer.hpp"
#include "common/result.hpp"

namespace sovgw::cache {

struct CacheOptions {
  std::string path;                             // the RocksDB directory (created if missing)
  std::chrono::seconds ttl{3600};               // fresh up to this age
  std::chrono::seconds stale_if_error{86400};   // found (not fresh) up to this age; 0 = never
  std::uint64_t max_bytes = 1024ULL * 1024 * 1024;  // on-disk table files; oldest dropped past it
  unsigned threads = 2;                         // the pool that runs RocksDB calls
  // Wall clock for write times and ages (entries outlive restarts). Null: system_clock::now.
  std::function<std::chrono::system_clock::time_point()> clock;
};

struct CacheStats {
  std::uint64_t entries = 0;  // RocksDB's estimate of live keys (counts overwritten/deleted ones
                              // until their files are dropped)
  std::uint64_t bytes = 0;    // table files on disk plus memtables
  std::string compression;    // "LZ4", "ZSTD", "Snappy" or "none"
  // Since this process started:
  std::uint64_t hits = 0;          // found and fresh
  std::uint64_t stale_found = 0;   // found, too old to be fresh, young enough for stale-if-error
  std::uint64_t misses = 0;        // not found, or older than both limits
  std::uint64_t stale_served = 0;  // stale answers the caller served (note_stale_served)
  std::uint64_t stores = 0;
  std::uint64_t errors = 0;        // RocksDB read/write failures and undecodable values
};

class ResponseCache {
 public:
  // Opens (or creates) the database. Fails when the directory cannot be created or locked (for
  // example by another sovgw process) or the database is damaged beyond automatic recovery.
  static Result<std::unique_ptr<ResponseCache>> open(CacheOptions options);
  ~ResponseCache();
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  // The answer stored under `key` if it is at most max(ttl, stale_if_error) old, with `fresh`
  // set when it is at most ttl old; nullopt otherwise (also after close() or on a read error).
  boost::asio::awaitable<std::optional<CachedAnswer>> lookup(CacheKey key);
  // Writes the answer with the current time. False on a write error or after close().
  boost::asio::awaitable<bool> store(CacheKey key, AnswerKind kind, std::string body);
  // Admin: remove every entry / one tenant's / one model's (all tenants). Return how many
  // entries went (clear(): RocksDB's estimate).
  boost::asio::awaitable<Result<std::uint64_t>> clear();
  boost::asio::awaitable<Result<std::uint64_t>> clear_tenant(std::string tenant);
  boost::asio::awaitable<Result<std::uint64_t>> clear_model(std::string model);

  std::optional<CachedAnswer> lookup_blocking(const CacheKey& key);
  bool store_blocking(const CacheKey& key, AnswerKind kind, std::string_view body);
  Result<std::uint64_t> clear_blocking();
  Result<std::uint64_t> clear_tenant_blocking(const std::string& tenant);
  Result<std::uint64_t> clear_model_blocking(const std::string& model);

  boost::asio::awaitable<CacheStats> stats();
  CacheStats stats_blocking() const;
  // The caller served a stale answer because every target failed; counted in stats().
  void note_stale_served() { stale_served_.fetch_add(1, std::memory_order_relaxed); }
  const CacheOptions& options() const { return options_; }

  // Waits for the pool's queued work and closes the database; later operations find nothing.
  // Call after the I/O threads that await this cache have stopped. Idempotent.
  void close();

 private:
  struct Db;  // RocksDB handles (response_cache.cpp)
  explicit ResponseCache(CacheOptions options);
  template <typename T, typename Work>
  boost::asio::awaitable<T> on_pool(Work work);
  std::chrono::system_clock::time_point now() const;
  Result<std::uint64_t> erase_where(const std::string& prefix, const std::string* model);

  CacheOptions options_;
  std::unique_ptr<Db> db_;
  mutable std::shared_mutex db_mutex_;  // shared: reads and writes; exclusive: clear() and close()
  boost::asio::thread_pool pool_;
  std::atomic<bool> closed_{false};
  std::atomic<std::uint64_t> hits_{0}, stale_found_{0}, misses_{0}, stale_served_{0}, stores_{0}, errors_{0};
};

}  // namespace sovgw::cache
