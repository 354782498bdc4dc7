// The parts of Metrics that only metrics.cpp and metrics_scrape.cpp see: the label vocabularies,
// one worker's shard (its own prometheus-cpp registry and the cached series of every per-request
// family), and the process-wide families. Threading as in metrics.hpp: a Shard is written by its
// worker only; registries are collected by the scrape under prometheus-cpp's own locks.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>
#include <vector>

#include "gateway/label_values.hpp"
#include "gateway/metric_grid.hpp"
#include "gateway/metrics.hpp"

namespace sovgw {

struct Config;

struct Metrics::Labels {
  Labels(const Config& config, const MetricVocabulary& vocabulary);
  // Index into code_class for an HTTP status ("none": nothing was sent, e.g. the client left).
  std::size_t code_class_of(unsigned status) const;

  LabelValues model;                                     // configured [[models]] names, else "unknown"
  LabelValues backend;                                   // configured [[backends]] names, else "none"
  LabelValues code_class;                                // 1xx..5xx, else "none"
  LabelValues direction;                                 // input, output
  LabelValues failure_class;                             // FailureClass names (ok first), else "other"
  LabelValues detector;                                  // PII detector ids, else "other"
  LabelValues action;                                    // policy actions, else "other"
  LabelValues rule;                                      // "default" and the policy rule names, else "other"
  LabelValues cache_result;                              // hit, miss, stale, bypass, else "other"
  std::vector<std::vector<std::size_t>> model_backends;  // per model: its distinct target backends
};

struct Metrics::Shard {
  explicit Shard(const Labels& labels);
  void precreate(const Labels& labels);

  prometheus::Registry registry;                        // declared first: the grids point into it
  MetricGrid<prometheus::Counter> requests;             // model, backend, code_class
  MetricGrid<prometheus::Histogram> request_duration;   // model
  MetricGrid<prometheus::Histogram> upstream_duration;  // backend
  MetricGrid<prometheus::Histogram> first_token;        // backend
  MetricGrid<prometheus::Histogram> inter_token;        // backend
  prometheus::Histogram* overhead;
  MetricGrid<prometheus::Counter> tokens;     // backend, direction
  MetricGrid<prometheus::Counter> attempts;   // backend, class
  MetricGrid<prometheus::Counter> failovers;  // model, from, to, reason
  MetricGrid<prometheus::Counter> pii;        // detector
  MetricGrid<prometheus::Counter> policy;     // action, rule
  MetricGrid<prometheus::Counter> cache;      // result
  prometheus::Gauge* active_streams;
};

struct Metrics::Global {
  explicit Global(const std::string& version);

  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>* reloads;
  prometheus::Counter* reload_success;
  prometheus::Counter* reload_failure;
};

}  // namespace sovgw
