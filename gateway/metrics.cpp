// Metrics: the families, their label vocabularies and bucket choices, and the hot-path
// observations. Scrape-time state and the merge of the worker shards are in metrics_scrape.cpp.
#include "gateway/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>

#include "backends/failure_classifier.hpp"
#include "gateway/config.hpp"
#include "gateway/metrics_internal.hpp"
#include "gateway/request_record.hpp"
#include "policy/pii_detectors.hpp"

namespace sovgw {

namespace {

using prometheus::Counter;
using prometheus::Histogram;

// Histogram buckets, chosen for LLM traffic (upper bounds in seconds):
// - request and upstream duration: from a cache hit or an early rejection (5 ms) to a long
//   generation (5 min, the order of total_timeout_ms); dense around 0.5–30 s where chat answers
//   fall, so p50/p99 of real traffic land between buckets that are close together.
const std::vector<double> kRequestBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,   2,  3,
                                             5,     7.5,  10,    15,   20,  30,   60,  120, 300};
// - time to first token: providers answer in 0.2–2 s when well, slower under load; the default
//   time_to_first_token_ms (15 s) is the last meaningful bound, 30 s catches anything beyond.
const std::vector<double> kFirstTokenBuckets = {0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 30};
// - inter-token gap: 20–100 tokens/s is 10–50 ms per token; stalls run up to the default
//   stream_idle_timeout_ms (15 s).
const std::vector<double> kInterTokenBuckets = {0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075,
                                                0.1,   0.15,   0.25,  0.5,  1,    2.5,  5,    15};
// - gateway overhead (sovgw's own time: parsing, policy, scanning, relaying): tens of microseconds
//   when all is well; a millisecond or more says sovgw itself is the bottleneck.
const std::vector<double> kOverheadBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                              0.01,    0.025,  0.05,    0.1,    0.25,  1};

constexpr std::size_t kInput = 0;
constexpr std::size_t kOutput = 1;

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

std::vector<std::string> failure_class_names() {
  using backends::FailureClass;
  std::vector<std::string> out;
  for (auto cls : {FailureClass::kOk, FailureClass::kClientError, FailureClass::kRateLimited, FailureClass::kOverloaded,
                   FailureClass::kServerError, FailureClass::kNetwork, FailureClass::kCutOff}) {
    out.emplace_back(backends::to_string(cls));
  }
  return out;
}

std::vector<std::string> model_names(const Config& config) {
  std::vector<std::string> out;
  for (const auto& model : config.models) out.push_back(model.name);
  return out;
}

std::vector<std::string> backend_names(const Config& config) {
  std::vector<std::string> out;
  for (const auto& backend : config.backends) out.push_back(backend.name);
  return out;
}

std::vector<std::string> with_default_rule(std::vector<std::string> rules) {
  rules.insert(rules.begin(), "default");
  return rules;
}

template <typename T>
auto plain_factory() {
  return [](prometheus::Family<T>& family, const prometheus::Labels& labels) -> T& { return family.Add(labels); };
}

auto histogram_factory(const std::vector<double>& buckets) {
  return [&buckets](prometheus::Family<Histogram>& family, const prometheus::Labels& labels) -> Histogram& {
    return family.Add(labels, buckets);
  };
}

template <typename T>
prometheus::Family<T>& family(prometheus::Registry& registry, const char* name, const char* help) {
  return prometheus::detail::Builder<T>().Name(name).Help(help).Register(registry);
}

}  // namespace

MetricVocabulary default_metric_vocabulary() {
  MetricVocabulary v;
  for (const auto& detector : policy::builtin_detectors()) v.pii_detectors.push_back(detector.id);
  return v;
}

MetricVocabulary metric_vocabulary(const Config& config) {
  MetricVocabulary v;
  if (config.policy.scanner) {
    v.pii_detectors = config.policy.scanner->detector_ids();
  } else {
    v = default_metric_vocabulary();
  }
  for (const auto& rule : config.policy.engine.rules) v.policy_rules.push_back(rule.name);
  return v;
}

Metrics::Labels::Labels(const Config& config, const MetricVocabulary& vocabulary)
    : model(model_names(config), "unknown"),
      backend(backend_names(config), "none"),
      code_class({"1xx", "2xx", "3xx", "4xx", "5xx"}, "none"),
      direction({"input", "output"}, "other"),
      failure_class(failure_class_names(), "other"),
      detector(vocabulary.pii_detectors, "other"),
      action({"allow", "redact", "pseudonymize", "restrict", "deny", "block", "skipped"}, "other"),
      rule(with_default_rule(vocabulary.policy_rules), "other"),
      cache_result({"hit", "miss", "stale", "bypass"}, "other") {
  for (const auto& m : config.models) {
    std::vector<std::size_t> targets;
    for (const auto& target : m.targets) {
      if (std::find(targets.begin(), targets.end(), target.backend_index) == targets.end()) {
        targets.push_back(target.backend_index);
      }
    }
    model_backends.push_back(std::move(targets));
  }
}

std::size_t Metrics::Labels::code_class_of(unsigned status) const {
  return status >= 100 && status < 600 ? status / 100 - 1 : code_class.fallback_index();
}

Metrics::Shard::Shard(const Labels& l)
    : requests(family<Counter>(registry, "sovgw_requests_total",
                               "Client requests answered, by model, answering backend and status class."),
               {{"model", &l.model}, {"backend", &l.backend}, {"code_class", &l.code_class}}, plain_factory<Counter>()),
      request_duration(family<Histogram>(registry, "sovgw_request_duration_seconds",
                                         "Whole client requests, first byte in to last byte out, by model."),
                       {{"model", &l.model}}, histogram_factory(kRequestBuckets)),
      upstream_duration(
          family<Histogram>(
              registry, "sovgw_upstream_duration_seconds",
              "Time spent waiting on upstream attempts per request, by the backend that answered (or was tried last)."),
          {{"backend", &l.backend}}, histogram_factory(kRequestBuckets)),
      first_token(family<Histogram>(registry, "sovgw_time_to_first_token_seconds",
                                    "Streams: from the request to the first content sent to the client, by backend."),
                  {{"backend", &l.backend}}, histogram_factory(kFirstTokenBuckets)),
      inter_token(family<Histogram>(registry, "sovgw_stream_inter_token_seconds",
                                    "Streams: gaps between content events relayed to the client, by backend."),
                  {{"backend", &l.backend}}, histogram_factory(kInterTokenBuckets)),
      overhead(&family<Histogram>(registry, "sovgw_gateway_overhead_seconds",
                                  "Time spent in sovgw itself per request: duration minus upstream time.")
                    .Add({}, kOverheadBuckets)),
      tokens(family<Counter>(registry, "sovgw_tokens_total",
                             "Tokens as reported by the answering backend, by direction (input, output)."),
             {{"backend", &l.backend}, {"direction", &l.direction}}, plain_factory<Counter>()),
      attempts(family<Counter>(registry, "sovgw_upstream_attempts_total",
                               "Upstream attempts by backend and failure class (ok included)."),
               {{"backend", &l.backend}, {"class", &l.failure_class}}, plain_factory<Counter>()),
      failovers(family<Counter>(registry, "sovgw_failovers_total",
                                "Moves from one backend to the next within a request, by model, from, to and the "
                                "failure class that caused it."),
                {{"model", &l.model}, {"from", &l.backend}, {"to", &l.backend}, {"reason", &l.failure_class}},
                plain_factory<Counter>()),
      pii(family<Counter>(registry, "sovgw_pii_detections_total",
                          "PII findings in requests, by detector (counts, never values)."),
          {{"detector", &l.detector}}, plain_factory<Counter>()),
      policy(family<Counter>(registry, "sovgw_policy_decisions_total",
                             "Requests for a configured model by the policy action applied and the rule that decided."),
             {{"action", &l.action}, {"rule", &l.rule}}, plain_factory<Counter>()),
      cache(family<Counter>(registry, "sovgw_cache_requests_total",
                            "Requests for a configured model by response cache result."),
            {{"result", &l.cache_result}}, plain_factory<Counter>()),
      active_streams(
          &family<prometheus::Gauge>(registry, "sovgw_active_streams", "Streams being relayed to clients now.")
               .Add({})) {
  precreate(l);
}

// Every series whose labels are known at startup exists from the first scrape (so rate() sees
// the first increment): per model its target backends, per backend every class.
void Metrics::Shard::precreate(const Labels& l) {
  const std::size_t none = l.backend.fallback_index();
  constexpr std::array<unsigned, 3> kCommonStatus = {200, 400, 500};
  for (std::size_t m = 0; m < l.model_backends.size(); ++m) {
    request_duration.create(m);
    for (unsigned status : kCommonStatus) {
      requests.create(m, none, l.code_class_of(status));
      for (std::size_t b : l.model_backends[m]) requests.create(m, b, l.code_class_of(status));
    }
    const auto& targets = l.model_backends[m];
    for (std::size_t from = 0; from < targets.size(); ++from) {
      for (std::size_t to = from + 1; to < targets.size(); ++to) {
        for (std::size_t reason = 1; reason + 1 < l.failure_class.size(); ++reason) {  // not "ok"
          failovers.create(m, targets[from], targets[to], reason);
        }
      }
    }
  }
  request_duration.create(l.model.fallback_index());
  requests.create(l.model.fallback_index(), none, l.code_class_of(404));
  for (std::size_t b = 0; b < none; ++b) {
    upstream_duration.create(b);
    first_token.create(b);
    inter_token.create(b);
    tokens.create(b, kInput);
    tokens.create(b, kOutput);
    for (std::size_t c = 0; c + 1 < l.failure_class.size(); ++c) attempts.create(b, c);
  }
  for (std::size_t d = 0; d + 1 < l.detector.size(); ++d) pii.create(d);
  for (std::size_t a = 0; a + 2 < l.action.size(); ++a) policy.create(a, std::size_t{0});  // not skipped/other
  for (std::size_t c = 0; c + 1 < l.cache_result.size(); ++c) cache.create(c);
}

Metrics::Global::Global(const std::string& version)
    : reloads(&family<Counter>(registry, "sovgw_config_reloads_total", "Configuration reloads by result.")),
      reload_success(&reloads->Add({{"result", "success"}})),
      reload_failure(&reloads->Add({{"result", "failure"}})) {
  family<prometheus::Gauge>(registry, "sovgw_build_info", "sovgw's version; always 1.")
      .Add({{"version", version}})
      .Set(1);
}

Metrics::Metrics(const Config& config, unsigned shards, MetricVocabulary vocabulary)
    : labels_(std::make_unique<Labels>(config, vocabulary)), global_(std::make_unique<Global>(SOVGW_VERSION)) {
  shards = std::max(1u, shards);
  for (unsigned i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>(*labels_));
}

Metrics::~Metrics() = default;

unsigned Metrics::shards() const { return static_cast<unsigned>(shards_.size()); }

void Metrics::observe(unsigned worker, const RequestRecord& r) {
#ifdef SOVGW_BENCH_NO_REQUEST_METRICS  // the A/B benchmark build only (tests/bench/README.md)
  (void)worker;
  (void)r;
  return;
#endif
  Shard& s = *shards_[worker % shards_.size()];
  const Labels& l = *labels_;
  const std::size_t model = r.model_known ? l.model.find(r.model) : l.model.fallback_index();
  const std::size_t backend = r.backend.empty() ? l.backend.fallback_index() : l.backend.find(r.backend);
  const double duration = seconds(r.duration);
  const double upstream = seconds(r.upstream_duration);

  s.requests.at(model, backend, l.code_class_of(r.status)).Increment();
  s.request_duration.at(model).Observe(duration);
  s.overhead->Observe(std::max(0.0, duration - upstream));
  if (!r.attempts.empty()) {
    const std::size_t tried = r.backend.empty() ? l.backend.find(r.attempts.back().backend) : backend;
    s.upstream_duration.at(tried).Observe(upstream);
  }
  if (r.time_to_first_token) s.first_token.at(backend).Observe(seconds(*r.time_to_first_token));
  if (!r.backend.empty()) {
    if (r.input_tokens) s.tokens.at(backend, kInput).Increment(static_cast<double>(*r.input_tokens));
    if (r.output_tokens) s.tokens.at(backend, kOutput).Increment(static_cast<double>(*r.output_tokens));
  }
  for (const auto& a : r.attempts) s.attempts.at(l.backend.find(a.backend), l.failure_class.find(a.cls)).Increment();
  for (const auto& f : r.failovers) {
    s.failovers.at(model, l.backend.find(f.from), l.backend.find(f.to), l.failure_class.find(f.reason)).Increment();
  }
  for (const auto& p : r.pii) {
    if (p.count > 0) s.pii.at(l.detector.find(p.detector)).Increment(p.count);
  }
  if (r.model_known) {
    s.policy.at(l.action.find(r.policy_action), l.rule.find(r.policy_rule)).Increment();
    s.cache.at(l.cache_result.find(r.cache_result)).Increment();
  }
}

void Metrics::observe_inter_token(unsigned worker, std::size_t backend_index, std::chrono::nanoseconds gap) {
#ifdef SOVGW_BENCH_NO_REQUEST_METRICS
  (void)worker;
  (void)backend_index;
  (void)gap;
  return;
#endif
  Shard& s = *shards_[worker % shards_.size()];
  const std::size_t backend = std::min(backend_index, labels_->backend.fallback_index());
  s.inter_token.at(backend).Observe(seconds(gap));
}

void Metrics::stream_started(unsigned worker) { shards_[worker % shards_.size()]->active_streams->Increment(); }

void Metrics::stream_ended(unsigned worker) { shards_[worker % shards_.size()]->active_streams->Decrement(); }

void Metrics::config_reloaded(bool success) {
  (success ? global_->reload_success : global_->reload_failure)->Increment();
}

}  // namespace sovgw
