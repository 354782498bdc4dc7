// Audit trail throughput (Google Benchmark): how many records per second the AuditLog writer
// acknowledges, by how many records the callers append between flushes, with and without an fsync
// per batch; and what the per-record work (canonical JSON + SHA-256 link) costs on its own. The
// store lives in a temp directory (TMPDIR) removed at the end of each benchmark.
//
//   ./audit_log_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "policy/audit_chain.hpp"
#include "policy/audit_log.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using sovgw::policy::AuditLog;
using sovgw::policy::AuditRecord;

// A typical record: two targets considered, two PII types, one attempt (~600 bytes of JSON).
AuditRecord typical_record(std::uint64_t i) {
  AuditRecord r;
  r.time = std::chrono::system_clock::now();
  r.request_id = "4f1c2a9e8b7d6c5e4f3a2b1c0d9e8f7" + std::to_string(i % 10);
  r.tenant = "default";
  r.model = "gpt-4o";
  r.data_class = "internal";
  r.targets = {{"openai", "US", false, "pseudonymize", "contacts-abroad"}, {"onprem", "KR", true, "allow", "default"}};
  r.policy_action = "pseudonymize";
  r.policy_rule = "contacts-abroad";
  r.pii = {{"email", 2}, {"kr_phone", 1}};
  r.backend = "openai";
  r.outcome = "ok";
  r.status = 200;
  r.attempts = 1;
  return r;
}

// A store directory inside the shared test TempDir.
class TempStore {
 public:
  std::string store() const { return dir_.file("audit"); }

 private:
  sovgw::testing::TempDir dir_{"sovgw-audit-bench"};
};

// Appends range(0) records, then flush(): one iteration = range(0) acknowledged records.
// range(0) = 1 is the worst case (every record waits for its own Write); larger values are what a
// busy gateway produces, since the writer takes everything queued as one batch.
void BM_AppendAndFlush(benchmark::State& state, bool sync) {
  TempStore dir;
  sovgw::policy::AuditLogOptions options;
  options.path = dir.store();
  options.sync = sync;
  options.queue_capacity = 1 << 20;
  auto log = AuditLog::open(std::move(options));
  if (!log) {
    state.SkipWithError(log.error().detail.c_str());
    return;
  }
  const auto per_iteration = static_cast<std::uint64_t>(state.range(0));
  const AuditRecord record = typical_record(0);
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < per_iteration; ++i) (*log)->append(record);
    auto flushed = (*log)->flush();
    if (!flushed) state.SkipWithError(flushed.error().detail.c_str());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * per_iteration));
  state.counters["records_per_s"] = benchmark::Counter(static_cast<double>(state.iterations() * per_iteration),
                                                       benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_AppendAndFlush, wal, false)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK_CAPTURE(BM_AppendAndFlush, wal_fsync, true)->Arg(1)->Arg(100)->Arg(1000)->UseRealTime();

// What append() costs the calling (I/O) thread: a copy of the record and a queue push under a
// mutex, while the writer drains concurrently.
void BM_AppendOnly(benchmark::State& state) {
  TempStore dir;
  sovgw::policy::AuditLogOptions options;
  options.path = dir.store();
  options.queue_capacity = 1 << 22;
  auto log = AuditLog::open(std::move(options));
  if (!log) {
    state.SkipWithError(log.error().detail.c_str());
    return;
  }
  const AuditRecord record = typical_record(0);
  for (auto _ : state) benchmark::DoNotOptimize((*log)->append(record));
  state.SetItemsProcessed(state.iterations());
  (void)(*log)->flush();  // after the timed loop: the writer's work is measured above
}
BENCHMARK(BM_AppendOnly);

// The writer's CPU per record before RocksDB: canonical JSON, then the SHA-256 link.
void BM_CanonicalJson(benchmark::State& state) {
  const AuditRecord record = typical_record(0);
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string json = sovgw::policy::canonical_json(record);
    bytes = json.size();
    benchmark::DoNotOptimize(json.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["json_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_CanonicalJson);

void BM_ChainHash(benchmark::State& state) {
  const std::string json = sovgw::policy::canonical_json(typical_record(0));
  sovgw::policy::audit_chain::Hash prev{};
  std::uint64_t seq = 0;
  for (auto _ : state) {
    prev = sovgw::policy::audit_chain::chain_hash(prev, ++seq, json);
    benchmark::DoNotOptimize(prev);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ChainHash);

}  // namespace
