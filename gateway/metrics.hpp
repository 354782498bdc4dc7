// Metrics: sovgw's Prometheus metrics (prometheus-cpp core), served as text on the admin
// listener's GET /metrics. The Pipeline hands every finished request's RequestRecord to observe()
// exactly once; streams add inter-token gaps and the active-stream gauge; backend states, sovereign
// mode and readiness are read from SharedState at scrape time, so they are never stale.
//
// Threading: one shard per worker thread. Worker i passes its index and touches only shard i (its
// own prometheus-cpp registry, label lookups cached in plain arrays), so the hot path shares no
// lock and no cache line with other workers; scrape() runs on any thread and merges the shards.
// Labels are bounded: model and backend labels only ever carry configured names ("unknown" /
// "none" otherwise), every other label comes from a fixed list ("other" for anything outside it).
//
//   Metrics metrics(config, worker_count);
//   metrics.observe(worker.index(), record);          // once per request, on its worker thread
//   std::string text = metrics.scrape(shared, now);   // admin thread, text format 0.0.4
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sovgw {

struct Config;
struct RequestRecord;
struct SharedState;

// Label values that are not in the Config itself. Values outside these lists count as "other".
struct MetricVocabulary {
  std::vector<std::string> pii_detectors;  // default: every built-in detector id (policy/)
  std::vector<std::string> policy_rules;   // names of [[policy.rules]]; "default" is always known
};

// Every built-in PII detector id; no policy rules besides "default" (none are configured yet).
MetricVocabulary default_metric_vocabulary();
// The enabled detectors (built-in and custom) and the rule names of `config`'s policy.
MetricVocabulary metric_vocabulary(const Config& config);

class Metrics {
 public:
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // `shards`: the number of worker threads (at least 1). Creates every series whose labels are
  // known now (models, backends, states, classes), so they exist from the first scrape.
  Metrics(const Config& config, unsigned shards, MetricVocabulary vocabulary = default_metric_vocabulary());
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // --- Hot path: call only from worker thread `worker` (< shards; the worker's index). ---

  // The one observation of a finished request (every path, exactly once). Always: requests_total,
  // request_duration_seconds, gateway_overhead_seconds (duration - upstream_duration, at least 0).
  // With attempts: upstream_duration_seconds (backend: the answering one, else the last tried),
  // upstream_attempts_total per attempt. failovers_total per failover; pii_detections_total per
  // detector count; time_to_first_token_seconds when set; tokens_total when a backend answered;
  // policy_decisions_total and cache_requests_total when model_known (the request reached them).
  void observe(unsigned worker, const RequestRecord& record);
  // The gap between two content events of a stream, from the backend with config index
  // `backend_index` (the Config::backends position, TargetConfig::backend_index).
  void observe_inter_token(unsigned worker, std::size_t backend_index, std::chrono::nanoseconds gap);
  // A stream committed to the client / ended (any way). Pair them; ActiveStream does.
  void stream_started(unsigned worker);
  void stream_ended(unsigned worker);

  // --- Any thread. ---

  // A configuration reload was attempted (result "success" or "failure").
  void config_reloaded(bool success);

  // Every metric in the Prometheus text format 0.0.4 (serve with kContentType); the gauges that
  // describe live state are computed from `shared` now.
  std::string scrape(const SharedState& shared, std::chrono::steady_clock::time_point now) const;

  unsigned shards() const;

 private:
  // Defined in metrics_internal.hpp.
  struct Labels;  // the bounded label vocabularies
  struct Shard;   // one worker's registry and cached series
  struct Global;  // registry for the families that are not per worker
  std::unique_ptr<Labels> labels_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<Global> global_;
};

// Counts one active stream for as long as it lives (stream_started / stream_ended).
class ActiveStream {
 public:
  ActiveStream(Metrics& metrics, unsigned worker) : metrics_(metrics), worker_(worker) {
    metrics_.stream_started(worker_);
  }
  ~ActiveStream() { metrics_.stream_ended(worker_); }
  ActiveStream(const ActiveStream&) = delete;
  ActiveStream& operator=(const ActiveStream&) = delete;

 private:
  Metrics& metrics_;
  unsigned worker_;
};

}  // namespace sovgw
