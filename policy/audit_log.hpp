// AuditLog: the append-only, hash-chained audit trail in RocksDB (format: audit_chain.hpp). One
// record per request, handed over at the end of the request by the gateway. append() never
// blocks and never touches the disk: it queues the record; one writer thread owns the database and
// writes whatever is queued as one WriteBatch (records + head, WAL on), so an I/O thread never
// waits on RocksDB.
//
// Acknowledged: a record is acknowledged when the Write of its batch has returned OK. From then
// on a crash of the process (kill -9) cannot lose it: the WAL is in the kernel. With `sync` the
// WAL is also fsynced per batch, so it survives power loss. flush() waits for acknowledgement.
// A crash never breaks the chain: a batch and the head naming its last record are one atomic
// write, and open() continues from the head.
//
// When the queue is full (the disk is slower than the traffic, or the store is failing), append()
// refuses the record and returns false; refusals are counted (stats().dropped) and reported
// through on_error, at most once a second. Nothing is dropped silently, and healthy() turns false
// first, so a caller that checks it before serving a request fails closed instead of serving
// requests it cannot record. A failing Write is retried (with backoff) until it succeeds; while
// it fails healthy() is false.
//
// Thread safety: append(), healthy() and stats() from any thread; flush() from any thread that
// may block (not an I/O thread). The destructor writes what is queued, then closes.
//
//   auto log = AuditLog::open({.path = "/var/lib/sovgw/audit"});
//   if (!log) fail(log.error().detail);
//   (*log)->append(record);   // on the request's thread, once per request
//   (*log)->flush();          // at shutdown
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "policy/audit_chain.hpp"
#include "policy/audit_record.hpp"

namespace rocksdb {
class DB;
}

namespace sovgw::policy {

struct AuditLogOptions {
  std::string path;                  // directory of the store; created (with parents) if missing
  bool sync = false;                 // fsync the WAL on every batch (survives power loss)
  std::size_t queue_capacity = 65536;  // records waiting for the writer; beyond it append() refuses
  // Receives error text (write failures, refused records). Called from the writer thread and from
  // append()'s caller; must be thread-safe. Empty: errors are only counted.
  std::function<void(std::string_view)> on_error{};
};

struct AuditLogStats {
  std::uint64_t appended = 0;      // accepted by append()
  std::uint64_t written = 0;       // acknowledged
  std::uint64_t dropped = 0;       // refused by append() (queue full), or lost when closing on a failing store
  std::uint64_t write_errors = 0;  // failed Write attempts (each is retried)
  std::uint64_t last_seq = 0;      // seq of the last acknowledged record
  std::size_t queued = 0;          // accepted, not yet acknowledged
};

class AuditLog {
 public:
  // Opens (or creates) the store and continues its chain. Fails when the directory cannot be
  // created or opened (another process holds it, permissions), when it is not an audit store, or
  // when its head does not match its last record (run `sovgw audit verify`).
  static Result<std::unique_ptr<AuditLog>> open(AuditLogOptions options);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues `record`; never blocks. false: refused (queue full), counted and reported.
  bool append(AuditRecord record);

  // Blocks until every record appended before the call is acknowledged; returns the last
  // acknowledged seq. Returns an error at once instead when a Write fails (or has been failing).
  Result<std::uint64_t> flush();

  // False while the queue is full or the last Write failed. Cheap (two atomic loads).
  bool healthy() const;

  AuditLogStats stats() const;
  const std::string& path() const { return options_.path; }

 private:
  AuditLog(AuditLogOptions options, std::unique_ptr<rocksdb::DB> db, audit_chain::Head head);
  void run();  // writer thread
  bool write_batch(const std::vector<AuditRecord>& records);
  void report(std::string_view message) const;
  void report_refusal();

  const AuditLogOptions options_;
  std::unique_ptr<rocksdb::DB> db_;  // writer thread only, after open()
  audit_chain::Head head_;           // writer thread only: last acknowledged seq and hash

  mutable std::mutex mutex_;
  std::condition_variable wake_;     // writer: records queued or stopping
  std::condition_variable written_;  // flush(): progress or failure
  std::vector<AuditRecord> queue_;   // guarded by mutex_
  bool stopping_ = false;            // guarded by mutex_
  std::uint64_t head_seq_ = 0;       // guarded by mutex_: head_.seq as last acknowledged
  std::string last_error_;           // guarded by mutex_
  std::uint64_t appended_ = 0;       // guarded by mutex_
  std::uint64_t written_count_ = 0;  // guarded by mutex_
  std::uint64_t write_errors_ = 0;   // guarded by mutex_
  std::uint64_t lost_ = 0;           // guarded by mutex_

  std::atomic<bool> failing_{false};
  std::atomic<std::size_t> queued_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::int64_t> last_refusal_report_{0};  // steady_clock ticks

  std::thread writer_;  // last: starts after everything above exists
};

}  // namespace sovgw::policy
