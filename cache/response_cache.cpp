// See response_cache.hpp.
#include "cache/response_cache.hpp"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <vector>

#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

namespace sovgw::cache {

namespace net = boost::asio;
using Clock = std::chrono::system_clock;

namespace {

constexpr std::string_view kColumnFamily = "answers";
constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr std::size_t kDeleteBatch = 1000;

Error cache_error(std::string detail) {
  return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false, std::move(detail));
}

// The fastest to read of what this RocksDB build supports: hits decompress on every read.
std::pair<rocksdb::CompressionType, std::string> pick_compression() {
  const auto supported = rocksdb::GetSupportedCompressions();
  const std::pair<rocksdb::CompressionType, std::string> preferred[] = {
      {rocksdb::kLZ4Compression, "LZ4"}, {rocksdb::kZSTD, "ZSTD"}, {rocksdb::kSnappyCompression, "Snappy"}};
  for (const auto& [type, name] : preferred) {
    if (std::find(supported.begin(), supported.end(), type) != supported.end()) return {type, name};
  }
  return {rocksdb::kNoCompression, "none"};
}

std::chrono::seconds retention(const CacheOptions& options) {
  return std::max(options.ttl, options.stale_if_error);
}

// FIFO compaction: every table file stays in level 0 and the oldest files are deleted once the
// total passes max_table_files_size, or once older than ttl. Eviction is oldest-written first at
// file granularity, with no rewrite amplification; a hit's own age is still checked on read.
rocksdb::ColumnFamilyOptions answer_options(const CacheOptions& options, rocksdb::CompressionType compression) {
  rocksdb::ColumnFamilyOptions cf;
  cf.compaction_style = rocksdb::kCompactionStyleFIFO;
  cf.compaction_options_fifo.max_table_files_size = options.max_bytes;
  cf.compaction_options_fifo.allow_compaction = true;  // merge small flushed files (fewer files per read)
  cf.ttl = static_cast<std::uint64_t>(retention(options).count());
  // Memtables are not counted by the size cap: keep them a small share of it.
  cf.write_buffer_size = std::clamp<std::uint64_t>(options.max_bytes / 16, kMiB, 64 * kMiB);
  cf.max_write_buffer_number = 2;
  cf.compression = compression;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));  // a miss reads no data block
  table.block_cache = rocksdb::NewLRUCache(32 * kMiB);
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

rocksdb::DBOptions db_options() {
  rocksdb::DBOptions db;
  db.create_if_missing = true;
  db.create_missing_column_families = true;
  db.max_background_jobs = 2;
  // Recover to the last consistent write after a crash or kill -9 (a torn WAL tail is dropped).
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db.keep_log_file_num = 2;
  db.max_log_file_size = 4 * kMiB;
  return db;
}

}  // namespace

struct ResponseCache::Db {
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::ColumnFamilyHandle* answers = nullptr;  // destroyed before db; null after a failed clear
  rocksdb::ColumnFamilyOptions cf_options;
  std::string compression;

  ~Db() {
    if (db && answers) db->DestroyColumnFamilyHandle(answers);
    if (db) db->Close();
  }
};

ResponseCache::ResponseCache(CacheOptions options) : options_(std::move(options)), pool_(std::max(1u, options_.threads)) {}

ResponseCache::~ResponseCache() { close(); }

Result<std::unique_ptr<ResponseCache>> ResponseCache::open(CacheOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return cache_error("cannot create cache directory " + options.path + ": " + ec.message());
  std::unique_ptr<ResponseCache> cache(new ResponseCache(std::move(options)));
  auto db = std::make_unique<Db>();
  auto [compression, name] = pick_compression();
  db->compression = name;
  db->cf_options = answer_options(cache->options_, compression);
  std::vector<rocksdb::ColumnFamilyDescriptor> families{
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {std::string(kColumnFamily), db->cf_options}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto status = rocksdb::DB::Open(db_options(), cache->options_.path, families, &handles, &raw);
  if (!status.ok()) return cache_error("cannot open cache database " + cache->options_.path + ": " + status.ToString());
  db->db.reset(raw);
  raw->DestroyColumnFamilyHandle(handles[0]);  // the default family stays empty
  db->answers = handles[1];
  cache->db_ = std::move(db);
  return cache;
}

void ResponseCache::close() {
  if (closed_.exchange(true)) return;
  pool_.join();  // runs what is queued, then the threads end
  std::unique_lock lock(db_mutex_);
  db_.reset();
}

Clock::time_point ResponseCache::now() const { return options_.clock ? options_.clock() : Clock::now(); }

// Runs `work` on the pool; the awaiting coroutine resumes on its own executor (its I/O thread).
template <typename T, typename Work>
net::awaitable<T> ResponseCache::on_pool(Work work) {
  auto initiate = [this](auto handler, Work work) {
    auto caller = net::prefer(net::get_associated_executor(handler), net::execution::outstanding_work.tracked);
    net::post(pool_, [handler = std::move(handler), work = std::move(work), caller = std::move(caller)]() mutable {
      T result = work();
      net::post(caller, [handler = std::move(handler), result = std::move(result)]() mutable {
        std::move(handler)(std::move(result));
      });
    });
  };
  T result = co_await net::async_initiate<decltype(net::use_awaitable), void(T)>(initiate, net::use_awaitable,
                                                                                  std::move(work));
  co_return result;
}

// Each operation names its work before awaiting: g++ 12 destroys a closure passed as a temporary
// argument to a coroutine twice (a double free), so none is ever written inline below.
net::awaitable<std::optional<CachedAnswer>> ResponseCache::lookup(CacheKey key) {
  if (closed_.load()) co_return std::nullopt;
  auto work = [this, key = std::move(key)] { return lookup_blocking(key); };
  auto found = co_await on_pool<std::optional<CachedAnswer>>(std::move(work));
  co_return found;
}

net::awaitable<bool> ResponseCache::store(CacheKey key, AnswerKind kind, std::string body) {
  if (closed_.load()) co_return false;
  auto work = [this, key = std::move(key), kind, body = std::move(body)] { return store_blocking(key, kind, body); };
  const bool stored = co_await on_pool<bool>(std::move(work));
  co_return stored;
}

net::awaitable<Result<std::uint64_t>> ResponseCache::clear() {
  if (closed_.load()) co_return cache_error("the cache is closed");
  auto work = [this] { return clear_blocking(); };
  auto cleared = co_await on_pool<Result<std::uint64_t>>(std::move(work));
  co_return cleared;
}

net::awaitable<Result<std::uint64_t>> ResponseCache::clear_tenant(std::string tenant) {
  if (closed_.load()) co_return cache_error("the cache is closed");
  auto work = [this, tenant = std::move(tenant)] { return clear_tenant_blocking(tenant); };
  auto cleared = co_await on_pool<Result<std::uint64_t>>(std::move(work));
  co_return cleared;
}

net::awaitable<Result<std::uint64_t>> ResponseCache::clear_model(std::string model) {
  if (closed_.load()) co_return cache_error("the cache is closed");
  auto work = [this, model = std::move(model)] { return clear_model_blocking(model); };
  auto cleared = co_await on_pool<Result<std::uint64_t>>(std::move(work));
  co_return cleared;
}

net::awaitable<CacheStats> ResponseCache::stats() {
  if (closed_.load()) co_return stats_blocking();
  auto work = [this] { return stats_blocking(); };
  auto stats = co_await on_pool<CacheStats>(std::move(work));
  co_return stats;
}

std::optional<CachedAnswer> ResponseCache::lookup_blocking(const CacheKey& key) {
  std::shared_lock lock(db_mutex_);
  if (!db_ || !db_->answers) return std::nullopt;
  rocksdb::PinnableSlice value;
  auto status = db_->db->Get(rocksdb::ReadOptions(), db_->answers, key.db_key(), &value);
  if (status.IsNotFound()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  auto answer = status.ok() ? decode_answer(value.ToStringView()) : std::nullopt;
  if (!answer) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  // A clock that went back makes an entry younger, never negative.
  const auto age = std::max(Clock::duration::zero(), now() - answer->stored_at);
  if (age > retention(options_)) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
  answer->fresh = age <= options_.ttl;
  (answer->fresh ? hits_ : stale_found_).fetch_add(1, std::memory_order_relaxed);
  return answer;
}

bool ResponseCache::store_blocking(const CacheKey& key, AnswerKind kind, std::string_view body) {
  std::shared_lock lock(db_mutex_);
  if (!db_ || !db_->answers) return false;
  // Not synced: a process crash keeps every acknowledged write (the WAL is in the OS cache); a
  // power cut may lose the last ones, which for a cache only costs misses.
  auto status = db_->db->Put(rocksdb::WriteOptions(), db_->answers, key.db_key(), encode_answer(kind, now(), body));
  (status.ok() ? stores_ : errors_).fetch_add(1, std::memory_order_relaxed);
  return status.ok();
}

// Dropping the column family frees its files at once, which deleting keys under FIFO would not.
Result<std::uint64_t> ResponseCache::clear_blocking() {
  std::unique_lock lock(db_mutex_);
  if (!db_) return cache_error("the cache is closed");
  std::uint64_t entries = 0;
  auto& db = *db_->db;
  if (db_->answers) {
    db.GetIntProperty(db_->answers, "rocksdb.estimate-num-keys", &entries);
    auto dropped = db.DropColumnFamily(db_->answers);
    if (!dropped.ok()) return cache_error("cannot clear the cache: " + dropped.ToString());
    db.DestroyColumnFamilyHandle(db_->answers);
    db_->answers = nullptr;
  }
  auto created = db.CreateColumnFamily(db_->cf_options, std::string(kColumnFamily), &db_->answers);
  if (!created.ok()) {
    db_->answers = nullptr;  // every later operation misses until restart
    return cache_error("cannot recreate the cache after clearing: " + created.ToString());
  }
  return entries;
}

Result<std::uint64_t> ResponseCache::clear_tenant_blocking(const std::string& tenant) {
  if (tenant.empty() || tenant.find('\0') != std::string::npos) return std::uint64_t{0};
  return erase_where(tenant + '\0', nullptr);
}

Result<std::uint64_t> ResponseCache::clear_model_blocking(const std::string& model) {
  if (model.empty() || model.find('\0') != std::string::npos) return std::uint64_t{0};
  return erase_where("", &model);
}

// Deletes the keys that start with `prefix` and, when `model` is given, whose model part
// (between the first and second '\0') equals it.
Result<std::uint64_t> ResponseCache::erase_where(const std::string& prefix, const std::string* model) {
  std::shared_lock lock(db_mutex_);
  if (!db_ || !db_->answers) return cache_error("the cache is closed");
  std::string upper = prefix;
  rocksdb::Slice upper_slice;
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  if (!upper.empty()) {
    upper.back() = static_cast<char>(upper.back() + 1);  // prefix ends in '\0': becomes '\1'
    upper_slice = rocksdb::Slice(upper);
    read.iterate_upper_bound = &upper_slice;
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->db->NewIterator(read, db_->answers));
  rocksdb::WriteBatch batch;
  std::uint64_t erased = 0;
  auto flush = [&]() -> rocksdb::Status {
    auto status = db_->db->Write(rocksdb::WriteOptions(), &batch);
    batch.Clear();
    return status;
  };
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const auto key = it->key().ToStringView();
    if (model) {
      const auto first = key.find('\0');
      const auto second = first == std::string_view::npos ? first : key.find('\0', first + 1);
      if (second == std::string_view::npos || key.substr(first + 1, second - first - 1) != *model) continue;
    }
    batch.Delete(db_->answers, it->key());
    ++erased;
    if (batch.Count() >= static_cast<int>(kDeleteBatch)) {
      if (auto status = flush(); !status.ok()) return cache_error("cannot delete cache entries: " + status.ToString());
    }
  }
  if (!it->status().ok()) return cache_error("cannot read the cache: " + it->status().ToString());
  if (batch.Count() > 0) {
    if (auto status = flush(); !status.ok()) return cache_error("cannot delete cache entries: " + status.ToString());
  }
  return erased;
}

CacheStats ResponseCache::stats_blocking() const {
  CacheStats stats;
  {
    std::shared_lock lock(db_mutex_);
    if (db_ && db_->answers) {
      std::uint64_t value = 0;
      if (db_->db->GetIntProperty(db_->answers, "rocksdb.estimate-num-keys", &value)) stats.entries = value;
      if (db_->db->GetIntProperty(db_->answers, "rocksdb.total-sst-files-size", &value)) stats.bytes = value;
      if (db_->db->GetIntProperty(db_->answers, "rocksdb.cur-size-all-mem-tables", &value)) stats.bytes += value;
    }
    if (db_) stats.compression = db_->compression;
  }
  stats.hits = hits_.load(std::memory_order_relaxed);
  stats.stale_found = stale_found_.load(std::memory_order_relaxed);
  stats.misses = misses_.load(std::memory_order_relaxed);
  stats.stale_served = stale_served_.load(std::memory_order_relaxed);
  stats.stores = stores_.load(std::memory_order_relaxed);
  stats.errors = errors_.load(std::memory_order_relaxed);
  return stats;
}

}  // namespace sovgw::cache
