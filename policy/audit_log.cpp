#include "policy/audit_log.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace sovgw::policy {

namespace fs = std::filesystem;
namespace chain = audit_chain;

namespace {

// Backoff between attempts while the store refuses writes; on close, how many attempts a batch
// gets before its records are counted as lost (the process is going away).
constexpr std::chrono::milliseconds kFirstRetry{50};
constexpr std::chrono::milliseconds kMaxRetry{2000};
constexpr int kCloseAttempts = 3;

Error store_error(const std::string& path, const std::string& what) {
  return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false, "audit store " + path + ": " + what);
}

rocksdb::Options store_options() {
  rocksdb::Options options;
  options.create_if_missing = true;
  // A torn WAL tail can only be a batch whose Write never returned (never acknowledged):
  // recover up to it rather than refusing to start.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  options.keep_log_file_num = 4;  // RocksDB's own LOG files
  options.max_open_files = 256;
  return options;
}

bool store_is_empty(rocksdb::DB& db) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  it->SeekToFirst();
  return !it->Valid();
}

// Marks a new store, or checks that an existing one is ours.
Status check_format(rocksdb::DB& db, const std::string& path) {
  std::string format;
  auto got = db.Get(rocksdb::ReadOptions(), chain::kFormatKey, &format);
  if (got.IsNotFound()) {
    if (!store_is_empty(db)) return store_error(path, "is a RocksDB database but not a sovgw audit store");
    rocksdb::WriteOptions write;
    write.sync = true;
    auto put = db.Put(write, chain::kFormatKey, chain::kFormatValue);
    if (!put.ok()) return store_error(path, "cannot initialise: " + put.ToString());
    return Ok{};
  }
  if (!got.ok()) return store_error(path, "cannot read: " + got.ToString());
  if (format != chain::kFormatValue) return store_error(path, "unknown format \"" + format + "\"");
  return Ok{};
}

// The head, checked against the last record: they were written together, so a mismatch means
// the store was altered (or damaged) and the chain must not be extended blindly.
Result<chain::Head> recover_head(rocksdb::DB& db, const std::string& path) {
  constexpr std::string_view kVerify = " (run `sovgw audit verify` for details)";
  std::string value;
  auto got = db.Get(rocksdb::ReadOptions(), chain::kHeadKey, &value);
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(chain::record_key(UINT64_MAX));
  const auto last_seq = it->Valid() ? chain::seq_of_key(it->key().ToStringView()) : std::nullopt;
  if (got.IsNotFound()) {
    if (last_seq) return store_error(path, "has records but no head" + std::string(kVerify));
    return chain::Head{};
  }
  if (!got.ok()) return store_error(path, "cannot read the head: " + got.ToString());
  auto head = chain::decode_head(value);
  if (!head) return store_error(path, "malformed head" + std::string(kVerify));
  if (head->seq == 0 && !last_seq) return *head;
  auto record = last_seq ? chain::decode_record(it->value().ToStringView()) : std::nullopt;
  if (last_seq != head->seq || !record || record->hash != head->hash) {
    return store_error(path, "head (seq " + std::to_string(head->seq) + ") does not match the last record" +
                                 std::string(kVerify));
  }
  return *head;
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::open(AuditLogOptions options) {
  if (options.path.empty()) return store_error("\"\"", "no path");
  std::error_code ec;
  fs::create_directories(options.path, ec);
  if (ec) return store_error(options.path, "cannot create the directory: " + ec.message());
  rocksdb::DB* raw = nullptr;
  auto opened = rocksdb::DB::Open(store_options(), options.path, &raw);
  if (!opened.ok()) return store_error(options.path, "cannot open: " + opened.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  if (auto format = check_format(*db, options.path); !format) return format.error();
  auto head = recover_head(*db, options.path);
  if (!head) return head.error();
  options.queue_capacity = std::max<std::size_t>(options.queue_capacity, 1);
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(options), std::move(db), *head));
}

AuditLog::AuditLog(AuditLogOptions options, std::unique_ptr<rocksdb::DB> db, chain::Head head)
    : options_(std::move(options)), db_(std::move(db)), head_(head), head_seq_(head.seq) {
  queue_.reserve(std::min<std::size_t>(options_.queue_capacity, 4096));
  writer_ = std::thread([this] { run(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
  if (auto closed = db_->Close(); !closed.ok()) report("audit: closing the store: " + closed.ToString());
}

bool AuditLog::append(AuditRecord record) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() < options_.queue_capacity && !stopping_) {
      queue_.push_back(std::move(record));
      ++appended_;
      queued_.store(appended_ - written_count_ - lost_, std::memory_order_relaxed);
      if (queue_.size() == 1) wake_.notify_one();  // the writer sleeps only on an empty queue
      return true;
    }
  }
  refused_.fetch_add(1, std::memory_order_relaxed);
  report_refusal();
  return false;
}

Result<std::uint64_t> AuditLog::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = appended_;
  written_.wait(lock, [&] { return written_count_ + lost_ >= target || failing_.load(); });
  if (written_count_ + lost_ < target || lost_ > 0) {
    return store_error(options_.path, "records not written: " + last_error_);
  }
  return head_seq_;
}

bool AuditLog::healthy() const {
  return !failing_.load(std::memory_order_relaxed) &&
         queued_.load(std::memory_order_relaxed) < options_.queue_capacity;
}

AuditLogStats AuditLog::stats() const {
  std::lock_guard lock(mutex_);
  AuditLogStats s;
  s.appended = appended_;
  s.written = written_count_;
  s.dropped = refused_.load(std::memory_order_relaxed) + lost_;
  s.write_errors = write_errors_;
  s.last_seq = head_seq_;
  s.queued = static_cast<std::size_t>(appended_ - written_count_ - lost_);
  return s;
}

void AuditLog::run() {
  std::vector<AuditRecord> batch;
  batch.reserve(queue_.capacity());
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and everything queued has been handled
      batch.swap(queue_);
    }
    write_batch(batch);
    batch.clear();
  }
}

// One WriteBatch: the records chained onto head_, then the new head. Retried as it is until it
// succeeds (the same keys and values, so a retry after a Write that did reach the WAL is
// harmless); when closing, given up after kCloseAttempts and counted as lost.
bool AuditLog::write_batch(const std::vector<AuditRecord>& records) {
  rocksdb::WriteBatch batch;
  chain::Head head = head_;
  for (const auto& record : records) {
    const std::string json = canonical_json(record);
    ++head.seq;
    const auto hash = chain::chain_hash(head.hash, head.seq, json);
    batch.Put(chain::record_key(head.seq), chain::encode_record(head.hash, hash, json));
    head.hash = hash;
  }
  batch.Put(chain::kHeadKey, chain::encode_head(head));
  rocksdb::WriteOptions write;
  write.sync = options_.sync;
  auto delay = kFirstRetry;
  for (int attempt = 1;; ++attempt) {
    auto status = db_->Write(write, &batch);
    std::unique_lock lock(mutex_);
    if (status.ok()) {
      head_ = head;
      head_seq_ = head.seq;
      written_count_ += records.size();
      queued_.store(appended_ - written_count_ - lost_, std::memory_order_relaxed);
      failing_.store(false);
      written_.notify_all();
      return true;
    }
    ++write_errors_;
    last_error_ = status.ToString();
    failing_.store(true);
    written_.notify_all();
    if (stopping_ && attempt >= kCloseAttempts) {
      lost_ += records.size();
      lock.unlock();
      report("audit: " + std::to_string(records.size()) + " records lost at close, the store refuses writes: " +
             status.ToString());
      return false;
    }
    const bool closing = stopping_;
    lock.unlock();
    report("audit: write failed (attempt " + std::to_string(attempt) + ", retrying): " + status.ToString());
    if (closing) {
      std::this_thread::sleep_for(delay);  // at most kCloseAttempts short pauses
    } else {
      lock.lock();
      wake_.wait_for(lock, delay, [&] { return stopping_; });  // closing starts the countdown
      lock.unlock();
    }
    delay = std::min(delay * 2, kMaxRetry);
    db_->Resume();  // clears a background error once the cause (e.g. a full disk) is gone
  }
}

void AuditLog::report(std::string_view message) const {
  if (options_.on_error) options_.on_error(message);
}

void AuditLog::report_refusal() {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  auto last = last_refusal_report_.load(std::memory_order_relaxed);
  const auto second = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::seconds(1)).count();
  if (last != 0 && now - last < second) return;
  if (!last_refusal_report_.compare_exchange_strong(last, now)) return;  // another thread reports
  report("audit: queue full (" + std::to_string(options_.queue_capacity) + " records), " +
         std::to_string(refused_.load(std::memory_order_relaxed)) +
         " records refused so far: the store is failing or slower than the traffic");
}

}  // namespace sovgw::policy
