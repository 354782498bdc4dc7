// Metrics::scrape: the worker shards merged into one set of series (counters and histograms
// summed per label set), the process-wide families, and the gauges read from SharedState at
// scrape time (backend states, sovereign mode and readiness, connections), as text 0.0.4.
// Runs on the admin thread; reads the shards under prometheus-cpp's per-family locks.
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <map>
#include <utility>

#include "gateway/access_log.hpp"
#include "gateway/metrics_internal.hpp"
#include "gateway/sovereignty_report.hpp"
#include "gateway/worker.hpp"

namespace sovgw {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Clock = std::chrono::steady_clock;

// Adds `from` into `into` (same family, same labels).
void accumulate(ClientMetric& into, const ClientMetric& from, MetricType type) {
  switch (type) {
    case MetricType::Counter:
      into.counter.value += from.counter.value;
      break;
    case MetricType::Gauge:
      into.gauge.value += from.gauge.value;
      break;
    case MetricType::Untyped:
      into.untyped.value += from.untyped.value;
      break;
    case MetricType::Histogram: {
      auto& h = into.histogram;
      h.sample_count += from.histogram.sample_count;
      h.sample_sum += from.histogram.sample_sum;
      const std::size_t n = std::min(h.bucket.size(), from.histogram.bucket.size());
      for (std::size_t i = 0; i < n; ++i) h.bucket[i].cumulative_count += from.histogram.bucket[i].cumulative_count;
      break;
    }
    case MetricType::Summary:
      break;  // sovgw has none
  }
}

// Families of the same name from several registries, summed per label set, in a stable order.
class FamilyMerger {
 public:
  void add(std::vector<MetricFamily> families) {
    for (auto& family : families) {
      auto [it, inserted] = merged_.try_emplace(family.name);
      Entry& entry = it->second;
      if (inserted) {
        entry.help = std::move(family.help);
        entry.type = family.type;
      }
      for (auto& metric : family.metric) {
        auto [series, fresh] = entry.series.try_emplace(metric.label, metric);
        if (!fresh) accumulate(series->second, metric, entry.type);
      }
    }
  }

  void take(std::vector<MetricFamily>& out) {
    for (auto& [name, entry] : merged_) {
      MetricFamily family{name, std::move(entry.help), entry.type, {}};
      for (auto& [labels, metric] : entry.series) family.metric.push_back(std::move(metric));
      out.push_back(std::move(family));
    }
    merged_.clear();
  }

 private:
  struct Entry {
    std::string help;
    MetricType type = MetricType::Untyped;
    std::map<std::vector<ClientMetric::Label>, ClientMetric> series;
  };
  std::map<std::string, Entry> merged_;
};

ClientMetric sample(double value, std::vector<ClientMetric::Label> labels, MetricType type) {
  ClientMetric m;
  m.label = std::move(labels);
  (type == MetricType::Counter ? m.counter.value : m.gauge.value) = value;
  return m;
}

MetricFamily family(std::string name, std::string help, MetricType type = MetricType::Gauge) {
  return MetricFamily{std::move(name), std::move(help), type, {}};
}

// Backends: one series per state (1 for the current one), static facts, ejections so far.
void backend_families(const SharedState& shared, Clock::time_point now, std::vector<MetricFamily>& out) {
  using backends::HealthState;
  constexpr HealthState kStates[] = {HealthState::kHealthy, HealthState::kOpen, HealthState::kHalfOpen,
                                     HealthState::kCutOff, HealthState::kBusy};
  auto state = family("sovgw_backend_state",
                      "Each backend's health state: 1 for the current state (healthy, open, half_open, cut_off, busy), "
                      "0 for the others.");
  auto info = family("sovgw_backend_info", "Static facts about each backend; always 1.");
  auto ejections =
      family("sovgw_backend_ejections_total", "Circuit-breaker ejections of each backend.", MetricType::Counter);
  const auto& config = shared.config;
  for (std::size_t i = 0; i < config.backends.size() && i < shared.health.size(); ++i) {
    const auto& backend = config.backends[i];
    const auto snap = shared.health[i]->snapshot(now);
    for (HealthState s : kStates) {
      state.metric.push_back(sample(snap.state == s ? 1 : 0,
                                    {{"backend", backend.name}, {"state", std::string(backends::to_string(s))}},
                                    MetricType::Gauge));
    }
    info.metric.push_back(sample(1,
                                 {{"backend", backend.name},
                                  {"foreign", shared.foreign(backend) ? "true" : "false"},
                                  {"jurisdiction", backend.jurisdiction},
                                  {"local", backend.local ? "true" : "false"}},
                                 MetricType::Gauge));
    ejections.metric.push_back(
        sample(static_cast<double>(snap.total_ejections), {{"backend", backend.name}}, MetricType::Counter));
  }
  out.push_back(std::move(state));
  out.push_back(std::move(info));
  out.push_back(std::move(ejections));
}

void live_families(const SharedState& shared, Clock::time_point now, std::vector<MetricFamily>& out) {
  backend_families(shared, now, out);
  auto ready = family(
      "sovgw_model_sovereign_ready",
      "1 when the model would keep serving if every foreign backend vanished (a local or domestic target is healthy).");
  for (const auto& model : shared.config.models) {
    ready.metric.push_back(
        sample(sovereign_ready(shared, model, now) ? 1 : 0, {{"model", model.name}}, MetricType::Gauge));
  }
  out.push_back(std::move(ready));
  auto sovereign = family("sovgw_sovereign_mode", "1 while sovereign mode cuts all foreign egress.");
  sovereign.metric.push_back(sample(shared.sovereign_mode.load() ? 1 : 0, {}, MetricType::Gauge));
  out.push_back(std::move(sovereign));
  auto connections = family("sovgw_active_connections", "Client connections open now, all workers together.");
  connections.metric.push_back(
      sample(static_cast<double>(shared.active_connections.load(std::memory_order_relaxed)), {}, MetricType::Gauge));
  out.push_back(std::move(connections));
  if (shared.access_log) {
    auto dropped = family("sovgw_access_log_dropped_total",
                          "Access log lines dropped because the writer fell too far behind.", MetricType::Counter);
    dropped.metric.push_back(sample(static_cast<double>(shared.access_log->dropped()), {}, MetricType::Counter));
    out.push_back(std::move(dropped));
  }
}

}  // namespace

std::string Metrics::scrape(const SharedState& shared, Clock::time_point now) const {
  FamilyMerger merger;
  for (const auto& shard : shards_) merger.add(shard->registry.Collect());
  merger.add(global_->registry.Collect());
  std::vector<MetricFamily> families;
  merger.take(families);
  live_families(shared, now, families);
  std::sort(families.begin(), families.end(),
            [](const MetricFamily& a, const MetricFamily& b) { return a.name < b.name; });
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace sovgw
