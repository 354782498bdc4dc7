#include "policy/audit_reader.hpp"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <filesystem>
#include <system_error>

#include <boost/json.hpp>

#include "policy/audit_chain.hpp"
#include "policy/audit_record.hpp"

namespace sovgw::policy {

namespace chain = audit_chain;
using Problem = AuditVerifyReport::Problem;

namespace {

Error reader_error(const std::string& path, const std::string& what) {
  return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false, "audit store " + path + ": " + what);
}

void broken(AuditVerifyReport& report, Problem problem, std::uint64_t seq, std::string detail) {
  report.problem = problem;
  report.broken_seq = seq;
  report.detail = std::move(detail);
}

// Walks the records in key order from seq 1 and stops at the first problem. `last` ends as the
// hash of the last record that verified.
void walk_records(rocksdb::DB& db, AuditVerifyReport& report, chain::Hash& last) {
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  last = chain::Hash{};
  std::uint64_t expected = 1;
  for (it->Seek(std::string(1, chain::kRecordPrefix)); it->Valid(); it->Next()) {
    const auto key = it->key().ToStringView();
    if (key.empty() || key[0] != chain::kRecordPrefix) break;
    const auto n = std::to_string(expected);
    const auto seq = chain::seq_of_key(key);
    if (!seq) {
      broken(report, Problem::kMalformed, expected, "a malformed key follows record " + std::to_string(expected - 1));
      return;
    }
    if (*seq != expected) {
      broken(report, Problem::kGap, expected,
             "record " + n + " is missing (the next present is " + std::to_string(*seq) + ")");
      return;
    }
    const auto record = chain::decode_record(it->value().ToStringView());
    if (!record) {
      broken(report, Problem::kMalformed, expected, "record " + n + " is malformed");
      return;
    }
    if (record->prev != last) {
      broken(report, Problem::kPrevMismatch, expected,
             "record " + n + " does not link to record " + std::to_string(expected - 1) + " (that record was replaced)");
      return;
    }
    if (chain::chain_hash(record->prev, expected, record->json) != record->hash) {
      broken(report, Problem::kHashMismatch, expected, "record " + n + " was altered (its content does not match its hash)");
      return;
    }
    last = record->hash;
    ++report.records_checked;
    ++expected;
  }
  if (!it->status().ok()) broken(report, Problem::kMalformed, expected, "cannot read: " + it->status().ToString());
}

void check_head(rocksdb::DB& db, const chain::Hash& last, AuditVerifyReport& report) {
  std::string value;
  const auto got = db.Get(rocksdb::ReadOptions(), chain::kHeadKey, &value);
  const auto checked = report.records_checked;
  if (got.IsNotFound()) {
    if (checked > 0) broken(report, Problem::kHeadMissing, 1, "the head is missing");
    return;
  }
  const auto head = chain::decode_head(value);
  if (!got.ok() || !head) {
    broken(report, Problem::kMalformed, checked + 1, "the head is unreadable");
    return;
  }
  report.head_seq = head->seq;
  report.head_hash = chain::hex(head->hash);
  if (head->seq > checked) {
    broken(report, Problem::kHeadMismatch, checked + 1,
           "the head names record " + std::to_string(head->seq) + " but the chain ends at " + std::to_string(checked) +
               " (records were cut off the end)");
  } else if (head->seq < checked) {
    broken(report, Problem::kHeadMismatch, head->seq + 1,
           "records follow the head's last record " + std::to_string(head->seq) + " (records were added)");
  } else if (checked > 0 && head->hash != last) {
    broken(report, Problem::kHeadMismatch, checked, "the head's hash does not match record " + std::to_string(checked));
  }
}

}  // namespace

const char* problem_name(Problem problem) {
  switch (problem) {
    case Problem::kNone: return "ok";
    case Problem::kMalformed: return "malformed";
    case Problem::kHashMismatch: return "hash_mismatch";
    case Problem::kPrevMismatch: return "prev_mismatch";
    case Problem::kGap: return "gap";
    case Problem::kHeadMismatch: return "head_mismatch";
    case Problem::kHeadMissing: return "head_missing";
  }
  return "unknown";
}

Result<std::unique_ptr<AuditReader>> AuditReader::open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return reader_error(path, "does not exist");
  rocksdb::DB* raw = nullptr;
  auto opened = rocksdb::DB::OpenForReadOnly(rocksdb::Options(), path, &raw);
  if (!opened.ok()) return reader_error(path, "cannot open: " + opened.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string format;
  if (!db->Get(rocksdb::ReadOptions(), chain::kFormatKey, &format).ok() || format != chain::kFormatValue) {
    return reader_error(path, "not a sovgw audit store");
  }
  return std::unique_ptr<AuditReader>(new AuditReader(path, std::move(db)));
}

AuditReader::AuditReader(std::string path, std::unique_ptr<rocksdb::DB> db)
    : path_(std::move(path)), db_(std::move(db)) {}

AuditReader::~AuditReader() = default;

AuditVerifyReport AuditReader::verify() const {
  AuditVerifyReport report;
  chain::Hash last;
  walk_records(*db_, report, last);
  if (report.ok()) {
    check_head(*db_, last, report);
  } else {
    // Still show what the head claims, for the operator's comparison with an anchor.
    AuditVerifyReport head_only;
    head_only.records_checked = report.records_checked;
    check_head(*db_, last, head_only);
    report.head_seq = head_only.head_seq;
    report.head_hash = head_only.head_hash;
  }
  return report;
}

Result<std::uint64_t> AuditReader::export_jsonl(std::optional<std::chrono::system_clock::time_point> since,
                                                std::ostream& out) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::uint64_t lines = 0;
  for (it->Seek(std::string(1, chain::kRecordPrefix)); it->Valid(); it->Next()) {
    const auto seq = chain::seq_of_key(it->key().ToStringView());
    if (!seq) break;
    const auto record = chain::decode_record(it->value().ToStringView());
    boost::json::error_code ec;
    const auto parsed = record ? boost::json::parse(record->json, ec) : boost::json::value();
    const auto* time = !ec && parsed.is_object() ? parsed.as_object().if_contains("time") : nullptr;
    const auto when = time && time->is_string() ? parse_rfc3339(time->as_string()) : std::nullopt;
    if (!when) return reader_error(path_, "record " + std::to_string(*seq) + " is malformed (run `sovgw audit verify`)");
    if (since && *when < *since) continue;
    out << "{\"seq\":" << *seq << ",\"prev_hash\":\"" << chain::hex(record->prev) << "\",\"hash\":\""
        << chain::hex(record->hash) << "\",\"record\":" << record->json << "}\n";
    ++lines;
  }
  if (!it->status().ok()) return reader_error(path_, "cannot read: " + it->status().ToString());
  if (!out) return reader_error(path_, "cannot write the export");
  return lines;
}

}  // namespace sovgw::policy
