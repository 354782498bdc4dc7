// audit_store_tool: test-only helper that writes and damages audit stores the way the tests need,
// in a process of its own (so a test can kill -9 it, and the integration binary needs no RocksDB).
//
//   audit_store_tool write PATH COUNT     append COUNT records (record i at 2025-01-02T03:04:05Z + i
//                                         minutes), print "OK <last seq>"
//   audit_store_tool crash-loop PATH      append forever; after each flush() print "ACK <seq>":
//                                         every seq printed is acknowledged. Stopped by kill -9.
//   audit_store_tool tamper PATH SEQ      change "status":200 to 201 in record SEQ's JSON
// Exit status: 0 done, 1 failure (reason on stderr), 2 usage.
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "policy/audit_chain.hpp"
#include "policy/audit_log.hpp"

namespace {

using sovgw::policy::AuditLog;
using sovgw::policy::AuditRecord;

AuditRecord make_record(std::uint64_t i) {
  AuditRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::seconds(1735787045) + std::chrono::minutes(i));
  r.request_id = "req-" + std::to_string(i);
  r.tenant = "default";
  r.model = "chat";
  r.data_class = "internal";
  r.targets = {{"onprem", "KR", true, "allow", "default"}};
  r.policy_action = "allow";
  r.policy_rule = "default";
  r.pii = {{"kr_rrn", 1}};
  r.backend = "onprem";
  r.outcome = "ok";
  r.status = 200;
  r.attempts = 1;
  return r;
}

int fail(const std::string& why) {
  std::fprintf(stderr, "audit_store_tool: %s\n", why.c_str());
  return 1;
}

std::unique_ptr<AuditLog> open_log(const char* path) {
  auto log = AuditLog::open(sovgw::policy::AuditLogOptions{.path = path});
  if (!log) {
    fail(log.error().detail);
    return nullptr;
  }
  return std::move(*log);
}

int write(const char* path, std::uint64_t count) {
  auto log = open_log(path);
  if (!log) return 1;
  const auto first = log->stats().last_seq + 1;
  for (std::uint64_t i = first; i < first + count; ++i) {
    if (!log->append(make_record(i))) return fail("append refused");
  }
  auto flushed = log->flush();
  if (!flushed) return fail(flushed.error().detail);
  std::printf("OK %llu\n", static_cast<unsigned long long>(*flushed));
  return 0;
}

int crash_loop(const char* path) {
  auto log = open_log(path);
  if (!log) return 1;
  for (std::uint64_t i = log->stats().last_seq + 1;; ) {
    for (int n = 0; n < 100; ++n, ++i) {
      if (!log->append(make_record(i))) return fail("append refused");
    }
    auto flushed = log->flush();
    if (!flushed) return fail(flushed.error().detail);
    std::printf("ACK %llu\n", static_cast<unsigned long long>(*flushed));
    std::fflush(stdout);
  }
}

int tamper(const char* path, std::uint64_t seq) {
  rocksdb::DB* raw = nullptr;
  auto opened = rocksdb::DB::Open(rocksdb::Options(), path, &raw);
  if (!opened.ok()) return fail(opened.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  const auto key = sovgw::policy::audit_chain::record_key(seq);
  std::string value;
  if (!db->Get(rocksdb::ReadOptions(), key, &value).ok()) return fail("no record " + std::to_string(seq));
  const std::string_view from = "\"status\":200";
  const auto at = value.find(from);
  if (at == std::string::npos) return fail("record has no \"status\":200");
  value.replace(at, from.size(), "\"status\":201");
  if (!db->Put(rocksdb::WriteOptions(), key, value).ok()) return fail("cannot write");
  std::printf("OK tampered %llu\n", static_cast<unsigned long long>(seq));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (argc == 4 && command == "write") return write(argv[2], std::strtoull(argv[3], nullptr, 10));
  if (argc == 3 && command == "crash-loop") return crash_loop(argv[2]);
  if (argc == 4 && command == "tamper") return tamper(argv[2], std::strtoull(argv[3], nullptr, 10));
  std::fprintf(stderr, "usage: audit_store_tool write PATH COUNT | crash-loop PATH | tamper PATH SEQ\n");
  return 2;
}
