// BackendHealth: whether one backend may take traffic now — circuit breaker with doubling
// ejections and a single half-open probe, the sticky cut-off (kill switch), rate-limit busy
// windows, and a retry budget. Fed with FailureClassifier results by the failover loop.
// One instance per backend, shared by all worker threads: internally synchronised by one
// std::mutex held for a few dozen instructions per call (no allocation except last_reason).
// Time is always injected (steady_clock), never read inside, so tests run on a manual clock.
//
//   auto a = health.admit(now);
//   if (!a.allowed) -> next candidate;
//   ... attempt ...; health.record(classifier.classify(...), now, a.is_probe);
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "backends/failure_classifier.hpp"

namespace sovgw::backends {

// Defaults are chosen for LLM traffic: few requests per second, each expensive and slow to fail
// (a first-byte timeout costs seconds), and provider outages that last minutes, not milliseconds.
struct HealthPolicy {
  using Duration = std::chrono::steady_clock::duration;

  // Consecutive network / server_error / overloaded results that open the breaker. Envoy uses 5 for
  // high-rate services; at LLM rates 5 failures can be a minute of users waiting on timeouts.
  std::uint32_t failure_threshold = 3;
  Duration base_ejection = std::chrono::seconds(30);  // first ejection (Envoy's default)
  Duration max_ejection = std::chrono::minutes(5);    // doubling stops here (Envoy's default)
  // The doubling streak resets once the breaker has stayed closed this long, so a backend that
  // recovers for real starts again at base_ejection, while a flapping one keeps doubling.
  Duration ejection_reset_after = std::chrono::minutes(5);
  // A half-open probe that never reports back (lost result) frees its slot after this; above the
  // default 120 s first-byte timeout, since the probe is decided when the status is known.
  Duration probe_timeout = std::chrono::seconds(150);
  Duration default_busy = std::chrono::seconds(1);  // rate limited without any retry header
  Duration max_busy = std::chrono::minutes(15);     // cap on a server-directed busy window
  // Retry budget: retries may be at most retry_ratio of the requests seen over a sliding
  // retry_window, but min_retries per window are always allowed so low traffic can still retry.
  double retry_ratio = 0.2;
  std::uint32_t min_retries = 3;
  Duration retry_window = std::chrono::seconds(10);
};

enum class HealthState {
  kHealthy,   // takes traffic
  kOpen,      // ejected after consecutive failures; skipped until the ejection time is up
  kHalfOpen,  // ejection over: exactly one probe request is let through
  kCutOff,    // the provider refuses us (key, region, billing); sticky until record_probe_success
  kBusy,      // rate limited until the server-directed time; ends by itself
};

std::string_view to_string(HealthState state);  // "healthy", "open", "half_open", "cut_off", "busy"

class BackendHealth {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  struct Admission {
    bool allowed = false;
    bool is_probe = false;  // the one half-open request; its result decides the breaker
    HealthState state = HealthState::kHealthy;
  };

  struct Snapshot {
    HealthState state = HealthState::kHealthy;
    TimePoint since{};  // when the current state began
    std::string last_reason;  // reason of the last non-ok result, "" if none yet
    std::uint32_t consecutive_failures = 0;
    std::uint32_t ejections = 0;        // current doubling streak (0 after a sustained recovery)
    std::uint64_t total_ejections = 0;  // for a counter metric
  };

  explicit BackendHealth(HealthPolicy policy = {});
  BackendHealth(const BackendHealth&) = delete;
  BackendHealth& operator=(const BackendHealth&) = delete;

  // May a request go to this backend now? In half-open state the first caller gets the probe.
  Admission admit(TimePoint now);

  // The result of an attempt admitted earlier; pass the Admission's is_probe. Record kOk as soon
  // as a 2xx status is known, so a probe is decided at first-byte time, not after a long stream.
  // An ok or failure recorded while half-open decides the breaker even if it came from a request
  // admitted before the breaker opened: both are fresh evidence. A neutral probe result
  // (client_error, rate_limited) frees the probe slot for the next request. Results recorded
  // while open or cut off change nothing but a busy window.
  void record(const Classification& result, TimePoint now, bool is_probe = false);

  // An active health probe (outside request traffic) succeeded: clears cut_off and closes the
  // breaker. A busy window stays: the probe may not be subject to the same limit.
  void record_probe_success(TimePoint now);
  // An active probe failed: cut_off stays cut off; a network/5xx failure ejects at once (closed)
  // or re-opens with the doubled ejection time (open, half-open); otherwise counts like record().
  void record_probe_failure(const Classification& result, TimePoint now);

  // Retry budget. Call record_request once per request routed here (not per retry), and
  // try_acquire_retry before each retry on this backend; false means fail instead of retrying.
  void record_request(TimePoint now);
  bool try_acquire_retry(TimePoint now);

  Snapshot snapshot(TimePoint now) const;

 private:
  enum class Breaker { kClosed, kOpen, kHalfOpen };

  // All private helpers expect mutex_ held.
  void record_locked(const Classification& result, TimePoint now, bool is_probe);
  void advance(TimePoint now);  // open → half-open when the ejection time is up, probe timeout
  void on_failure(const Classification& result, TimePoint now);
  void eject(TimePoint now);
  void close(TimePoint now);
  void mark_busy(const Classification& result, TimePoint now);
  std::uint32_t streak(TimePoint now) const;
  HealthState state_locked(TimePoint now) const;
  void roll_window(TimePoint now);
  double window_weight(TimePoint now) const;

  const HealthPolicy policy_;
  mutable std::mutex mutex_;

  Breaker breaker_ = Breaker::kClosed;
  TimePoint opened_at_{};
  TimePoint open_until_{};
  TimePoint closed_since_{};
  bool probe_in_flight_ = false;
  TimePoint probe_started_{};
  std::uint32_t consecutive_failures_ = 0;
  std::uint32_t ejections_ = 0;
  std::uint64_t total_ejections_ = 0;

  bool cut_off_ = false;
  TimePoint cut_off_since_{};

  TimePoint busy_since_{};
  TimePoint busy_until_{};  // busy while now < busy_until_

  std::string last_reason_;

  // Retry budget: counts in the current and the previous window; the previous one is weighted by
  // how much of it still overlaps the sliding window (the usual two-bucket approximation).
  TimePoint window_start_{};
  double requests_ = 0, retries_ = 0;
  double prev_requests_ = 0, prev_retries_ = 0;
};

}  // namespace sovgw::backends
