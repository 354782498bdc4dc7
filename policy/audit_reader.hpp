// AuditReader: reads an audit store (audit_chain.hpp) for `sovgw audit verify` and `export`.
// Opens it read-only, so it works beside a running gateway that holds the store for writing; it
// sees the store as it was when opened. verify() walks the whole chain and names the first seq
// where it breaks, and why.
//
// What verify proves: every record from 1 to the head is present, unaltered and in order, and the
// head names the last one; a changed, removed or inserted record, or a cut-off tail, is found.
// What it cannot prove alone: someone who deletes the tail AND rewrites the head to the new last
// record (or rewrites every hash from a point on) leaves a chain that is consistent in itself.
// Against that, keep the head hash verify prints somewhere the store's owner cannot rewrite
// (another system, a ticket, a signed log) and compare it later: the chain up to an anchored
// head can only be extended, never changed.
//
// Blocking, single-threaded use; one reader per thread.
//
//   auto reader = AuditReader::open("/var/lib/sovgw/audit");
//   auto report = (*reader)->verify();
//   if (!report.ok()) std::cerr << report.detail;
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "common/result.hpp"

namespace rocksdb {
class DB;
}

namespace sovgw::policy {

struct AuditVerifyReport {
  enum class Problem {
    kNone,
    kMalformed,     // a record or the head cannot be decoded
    kHashMismatch,  // a record's content does not hash to its stored hash: it was altered
    kPrevMismatch,  // a record does not link to the one before it: that one was replaced
    kGap,           // a seq is missing: a record was deleted
    kHeadMismatch,  // the head names another last record: the tail was cut off or added to
    kHeadMissing,   // records but no head
  };
  Problem problem = Problem::kNone;
  bool ok() const { return problem == Problem::kNone; }
  std::uint64_t records_checked = 0;  // records that verified before the first problem
  std::uint64_t broken_seq = 0;       // first seq at which the chain breaks (0 when ok)
  std::uint64_t head_seq = 0;         // as the head says
  std::string head_hash;              // hex; the value to anchor elsewhere
  std::string detail;                 // one sentence for people
};

const char* problem_name(AuditVerifyReport::Problem problem);

class AuditReader {
 public:
  // Read-only. Fails when there is no store at `path` or it cannot be read.
  static Result<std::unique_ptr<AuditReader>> open(const std::string& path);
  ~AuditReader();
  AuditReader(const AuditReader&) = delete;
  AuditReader& operator=(const AuditReader&) = delete;

  AuditVerifyReport verify() const;

  // One JSON line per record whose time is at or after `since` (all when nullopt), in seq order:
  //   {"seq":N,"prev_hash":"<hex>","hash":"<hex>","record":<the record's canonical JSON>}
  // The "record" value is byte for byte what was hashed, so the chain can be rechecked from the
  // export alone. Returns the number of lines written; fails on an unreadable record.
  Result<std::uint64_t> export_jsonl(std::optional<std::chrono::system_clock::time_point> since,
                                     std::ostream& out) const;

 private:
  AuditReader(std::string path, std::unique_ptr<rocksdb::DB> db);
  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace sovgw::policy
