// AuditLog and AuditReader: records are chained and survive reopening; every kind of tampering done
// directly through RocksDB (altered, replaced, deleted in the middle, cut off at the end, head
// removed) is found at the right seq; the writer refuses to extend a store whose head does not
// match; export filters by time and carries the exact hashed bytes; a full queue refuses and
// counts, never silently.
#include <doctest/doctest.h>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <boost/json.hpp>

#include "policy/audit_chain.hpp"
#include "policy/audit_log.hpp"
#include "policy/audit_reader.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
namespace chain = sovgw::policy::audit_chain;
using namespace std::chrono_literals;
using sovgw::policy::AuditLog;
using sovgw::policy::AuditLogOptions;
using sovgw::policy::AuditReader;
using sovgw::policy::AuditRecord;
using sovgw::policy::AuditVerifyReport;
using Problem = AuditVerifyReport::Problem;
using Clock = std::chrono::system_clock;

const Clock::time_point kEpoch = Clock::time_point(1735787045s);  // 2025-01-02T03:04:05Z

// A store directory inside the shared test TempDir.
class TempDir {
 public:
  std::string store() const { return dir_.file("audit"); }

 private:
  sovgw::testing::TempDir dir_{"sovgw-audit"};
};

AuditRecord make_record(unsigned i) {
  AuditRecord r;
  r.time = kEpoch + std::chrono::minutes(i);
  r.request_id = "req-" + std::to_string(i);
  r.tenant = "default";
  r.model = "chat";
  r.data_class = "internal";
  r.targets = {{"openai", "US", false, i % 2 ? "redact" : "allow", "default"}};
  r.policy_action = r.targets[0].action;
  r.policy_rule = "default";
  r.pii = {{"email", i % 3}};
  r.backend = "openai";
  r.outcome = "ok";
  r.status = 200;
  r.attempts = 1;
  return r;
}

std::unique_ptr<AuditLog> open_log(const std::string& path) {
  auto log = AuditLog::open(AuditLogOptions{.path = path});
  if (!log) FAIL(log.error().detail);
  return std::move(*log);
}

// Appends records `from`..`to` (inclusive) and waits for them.
void append_range(AuditLog& log, unsigned from, unsigned to) {
  for (unsigned i = from; i <= to; ++i) REQUIRE(log.append(make_record(i)));
  auto flushed = log.flush();
  REQUIRE(flushed);
  CHECK(*flushed == to);
}

void write_store(const std::string& path, unsigned count) {
  auto log = open_log(path);
  append_range(*log, 1, count);
}

AuditVerifyReport verify(const std::string& path) {
  auto reader = AuditReader::open(path);
  if (!reader) FAIL(reader.error().detail);
  return (*reader)->verify();
}

// Direct access to the store, as someone with the files would have.
class RawStore {
 public:
  explicit RawStore(const std::string& path) {
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::Options(), path, &raw).ok());
    db_.reset(raw);
  }
  std::string get(std::string_view key) {
    std::string value;
    REQUIRE(db_->Get(rocksdb::ReadOptions(), key, &value).ok());
    return value;
  }
  void put(std::string_view key, std::string_view value) { REQUIRE(db_->Put(rocksdb::WriteOptions(), key, value).ok()); }
  void erase(std::string_view key) { REQUIRE(db_->Delete(rocksdb::WriteOptions(), key).ok()); }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

std::string replace_once(std::string text, std::string_view from, std::string_view to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("audit log: appended records verify, and the chain continues after reopening") {
  TempDir dir;
  write_store(dir.store(), 10);
  {
    auto log = open_log(dir.store());
    CHECK(log->stats().last_seq == 10);
    append_range(*log, 11, 25);
    auto stats = log->stats();
    CHECK(stats.appended == 15);
    CHECK(stats.written == 15);
    CHECK(stats.dropped == 0);
    CHECK(stats.queued == 0);
    CHECK(log->healthy());
  }
  auto report = verify(dir.store());
  INFO(report.detail);
  CHECK(report.ok());
  CHECK(report.records_checked == 25);
  CHECK(report.head_seq == 25);
  CHECK(report.head_hash.size() == 64);
  CHECK(report.broken_seq == 0);
}

TEST_CASE("audit log: an empty store verifies with no records") {
  TempDir dir;
  { auto log = open_log(dir.store()); }
  auto report = verify(dir.store());
  CHECK(report.ok());
  CHECK(report.records_checked == 0);
}

TEST_CASE("audit log: the reader works beside the open writer") {
  TempDir dir;
  auto log = open_log(dir.store());
  append_range(*log, 1, 5);
  auto report = verify(dir.store());
  CHECK(report.ok());
  CHECK(report.records_checked == 5);
}

TEST_CASE("audit log: a second writer on the same store is refused") {
  TempDir dir;
  auto first = open_log(dir.store());
  auto second = AuditLog::open(AuditLogOptions{.path = dir.store()});
  REQUIRE_FALSE(second);
  CHECK(second.error().detail.starts_with("audit store " + dir.store() + ": cannot open: "));
}

TEST_CASE("audit log: an altered record is found at its seq") {
  TempDir dir;
  write_store(dir.store(), 10);
  {
    RawStore raw(dir.store());
    raw.put(chain::record_key(7), replace_once(raw.get(chain::record_key(7)), "\"status\":200", "\"status\":201"));
  }
  auto report = verify(dir.store());
  CHECK(report.problem == Problem::kHashMismatch);
  CHECK(report.broken_seq == 7);
  CHECK(report.records_checked == 6);
  CHECK(report.detail == "record 7 was altered (its content does not match its hash)");
  CHECK(report.head_seq == 10);  // what the head claims is still shown
}

TEST_CASE("audit log: a record replaced with a consistent hash breaks the next link") {
  TempDir dir;
  write_store(dir.store(), 10);
  {
    RawStore raw(dir.store());
    auto stored = chain::decode_record(raw.get(chain::record_key(4)));
    REQUIRE(stored);
    const std::string json = replace_once(std::string(stored->json), "\"req-4\"", "\"forged\"");
    raw.put(chain::record_key(4), chain::encode_record(stored->prev, chain::chain_hash(stored->prev, 4, json), json));
  }
  auto report = verify(dir.store());
  CHECK(report.problem == Problem::kPrevMismatch);
  CHECK(report.broken_seq == 5);
  CHECK(report.detail == "record 5 does not link to record 4 (that record was replaced)");
}

TEST_CASE("audit log: a deleted record in the middle is a gap") {
  TempDir dir;
  write_store(dir.store(), 10);
  RawStore(dir.store()).erase(chain::record_key(5));
  auto report = verify(dir.store());
  CHECK(report.problem == Problem::kGap);
  CHECK(report.broken_seq == 5);
  CHECK(report.detail == "record 5 is missing (the next present is 6)");
}

TEST_CASE("audit log: a deleted first record is a gap at 1") {
  TempDir dir;
  write_store(dir.store(), 3);
  RawStore(dir.store()).erase(chain::record_key(1));
  auto report = verify(dir.store());
  CHECK(report.problem == Problem::kGap);
  CHECK(report.broken_seq == 1);
}

TEST_CASE("audit log: a cut-off tail disagrees with the head, and the writer refuses the store") {
  TempDir dir;
  write_store(dir.store(), 10);
  {
    RawStore raw(dir.store());
    raw.erase(chain::record_key(10));
    raw.erase(chain::record_key(9));
  }
  auto report = verify(dir.store());
  CHECK(report.problem == Problem::kHeadMismatch);
  CHECK(report.broken_seq == 9);
  CHECK(report.records_checked == 8);
  CHECK(report.detail == "the head names record 10 but the chain ends at 8 (records were cut off the end)");

  auto reopened = AuditLog::open(AuditLogOptions{.path = dir.store()});
  REQUIRE_FALSE(reopened);
  CHECK(reopened.error().detail == "audit store " + dir.store() +
                                       ": head (seq 10) does not match the last record (run `sovgw audit verify` "
                                       "for details)");
}

TEST_CASE("audit log: a record added after the head is found") {
  TempDir dir;
  write_store(dir.store(), 3);
  {
    RawStore raw(dir.store());
    auto head = chain::decode_head(raw.get(chain::kHeadKey));
    REQUIRE(head);
    const std::string json = "{}";
    raw.put(chain::record_key(4), chain::encode_record(head->hash, chain::chain_hash(head->hash, 4, json), json));
  }
  auto report = verify(dir.store());
  CHECK(report.problem == Problem::kHeadMismatch);
  CHECK(report.broken_seq == 4);
}

TEST_CASE("audit log: a removed head is found, and the writer refuses the store") {
  TempDir dir;
  write_store(dir.store(), 3);
  RawStore(dir.store()).erase(chain::kHeadKey);
  auto report = verify(dir.store());
  CHECK(report.problem == Problem::kHeadMissing);
  CHECK(report.broken_seq == 1);
  auto reopened = AuditLog::open(AuditLogOptions{.path = dir.store()});
  REQUIRE_FALSE(reopened);
  CHECK(reopened.error().detail.find("has records but no head") != std::string::npos);
}

TEST_CASE("audit log: a RocksDB database that is not an audit store is refused") {
  TempDir dir;
  {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(options, dir.store(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    REQUIRE(db->Put(rocksdb::WriteOptions(), "cache:key", "value").ok());
  }
  auto log = AuditLog::open(AuditLogOptions{.path = dir.store()});
  REQUIRE_FALSE(log);
  CHECK(log.error().detail == "audit store " + dir.store() + ": is a RocksDB database but not a sovgw audit store");
  auto reader = AuditReader::open(dir.store());
  REQUIRE_FALSE(reader);
  CHECK(reader.error().detail == "audit store " + dir.store() + ": not a sovgw audit store");
}

TEST_CASE("audit log: a missing store cannot be read") {
  TempDir dir;
  auto reader = AuditReader::open(dir.store());
  REQUIRE_FALSE(reader);
  CHECK(reader.error().detail == "audit store " + dir.store() + ": does not exist");
}

TEST_CASE("audit log: export writes JSON lines from a time on, with the exact hashed bytes") {
  TempDir dir;
  write_store(dir.store(), 10);
  auto reader = AuditReader::open(dir.store());
  REQUIRE(reader);

  std::ostringstream all;
  auto written = (*reader)->export_jsonl(std::nullopt, all);
  REQUIRE(written);
  CHECK(*written == 10);

  // Rebuild the chain from the export alone.
  std::istringstream lines(all.str());
  std::string line;
  chain::Hash prev{};
  std::uint64_t seq = 0;
  while (std::getline(lines, line)) {
    ++seq;
    auto parsed = boost::json::parse(line).as_object();
    CHECK(parsed.at("seq").to_number<std::uint64_t>() == seq);
    CHECK(parsed.at("prev_hash").as_string() == chain::hex(prev));
    const auto record_at = line.find(",\"record\":") + 10;
    const std::string json = line.substr(record_at, line.size() - record_at - 1);
    prev = chain::chain_hash(prev, seq, json);
    CHECK(parsed.at("hash").as_string() == chain::hex(prev));
    CHECK(parsed.at("record").at("request_id").as_string() == "req-" + std::to_string(seq));
  }
  CHECK(seq == 10);

  // Record i is at kEpoch + i minutes: since minute 7 gives 7..10.
  std::ostringstream recent;
  written = (*reader)->export_jsonl(kEpoch + 7min, recent);
  REQUIRE(written);
  CHECK(*written == 4);
  CHECK(recent.str().starts_with("{\"seq\":7,"));
  std::ostringstream none;
  CHECK(*(*reader)->export_jsonl(kEpoch + 11min, none) == 0);
  CHECK(none.str().empty());
}

TEST_CASE("audit log: a full queue refuses records and counts them, never silently") {
  TempDir dir;
  std::atomic<int> reports{0};
  AuditLogOptions options;
  options.path = dir.store();
  options.queue_capacity = 1;
  options.on_error = [&](std::string_view message) {
    CHECK(message.starts_with("audit: queue full (1 records), "));
    ++reports;
  };
  auto opened = AuditLog::open(std::move(options));
  REQUIRE(opened);
  auto& log = **opened;
  unsigned accepted = 0;
  unsigned refused = 0;
  for (unsigned i = 1; i <= 2000; ++i) (log.append(make_record(i)) ? accepted : refused) += 1;
  auto flushed = log.flush();
  REQUIRE(flushed);
  auto stats = log.stats();
  CHECK(stats.appended == accepted);
  CHECK(stats.written == accepted);
  CHECK(stats.dropped == refused);
  CHECK(*flushed == accepted);
  CHECK((refused == 0) == (reports.load() == 0));  // writer speed decides how many; none unreported
  opened->reset();
  auto report = verify(dir.store());
  CHECK(report.ok());
  CHECK(report.records_checked == accepted);
}

TEST_CASE("audit log: closing writes everything still queued") {
  TempDir dir;
  {
    auto log = open_log(dir.store());
    for (unsigned i = 1; i <= 500; ++i) REQUIRE(log->append(make_record(i)));
  }
  auto report = verify(dir.store());
  CHECK(report.ok());
  CHECK(report.records_checked == 500);
}

TEST_CASE("audit log: the store's parent directories are created") {
  TempDir dir;
  const std::string nested = dir.store() + "/a/b";
  write_store(nested, 1);
  CHECK(verify(nested).ok());
}
