// BackendHealth: circuit breaker, sticky cut-off, busy windows and retry budget (see the header).
#include "backends/backend_health.hpp"

#include <algorithm>

namespace sovgw::backends {

namespace {

bool counts_as_failure(FailureClass cls) {
  return cls == FailureClass::kNetwork || cls == FailureClass::kServerError || cls == FailureClass::kOverloaded;
}

}  // namespace

std::string_view to_string(HealthState state) {
  switch (state) {
    case HealthState::kHealthy: return "healthy";
    case HealthState::kOpen: return "open";
    case HealthState::kHalfOpen: return "half_open";
    case HealthState::kCutOff: return "cut_off";
    case HealthState::kBusy: return "busy";
  }
  return "unknown";
}

BackendHealth::BackendHealth(HealthPolicy policy) : policy_(policy) {}

BackendHealth::Admission BackendHealth::admit(TimePoint now) {
  std::lock_guard lock(mutex_);
  advance(now);
  if (cut_off_) return {false, false, HealthState::kCutOff};
  if (breaker_ == Breaker::kOpen) return {false, false, HealthState::kOpen};
  const bool busy = now < busy_until_;
  if (breaker_ == Breaker::kHalfOpen) {
    // Exactly one probe at a time; while the backend also says it is busy, not even that.
    if (busy || probe_in_flight_) return {false, false, HealthState::kHalfOpen};
    probe_in_flight_ = true;
    probe_started_ = now;
    return {true, true, HealthState::kHalfOpen};
  }
  if (busy) return {false, false, HealthState::kBusy};
  return {true, false, HealthState::kHealthy};
}

void BackendHealth::record(const Classification& result, TimePoint now, bool is_probe) {
  std::lock_guard lock(mutex_);
  advance(now);
  record_locked(result, now, is_probe);
}

void BackendHealth::record_locked(const Classification& result, TimePoint now, bool is_probe) {
  switch (result.cls) {
    case FailureClass::kOk:
      // Sticky states ignore stragglers: only an active probe clears a cut-off, and a request
      // admitted before an ejection says little about the backend after it.
      if (cut_off_ || breaker_ == Breaker::kOpen) return;
      if (breaker_ == Breaker::kHalfOpen) {
        close(now);
      } else {
        consecutive_failures_ = 0;
      }
      return;
    case FailureClass::kClientError:
      // Neutral: the request was at fault (or the client left). A probe that ends this way
      // proved nothing either way, so the next request probes instead.
      if (is_probe) probe_in_flight_ = false;
      return;
    case FailureClass::kRateLimited:
      if (is_probe) probe_in_flight_ = false;
      if (result.request_only || cut_off_) return;
      last_reason_ = result.reason;
      mark_busy(result, now);
      return;
    case FailureClass::kOverloaded:
    case FailureClass::kServerError:
    case FailureClass::kNetwork:
      if (result.retry_after && !cut_off_) mark_busy(result, now);
      on_failure(result, now);
      return;
    case FailureClass::kCutOff:
      if (!cut_off_) cut_off_since_ = now;
      cut_off_ = true;
      probe_in_flight_ = false;
      last_reason_ = result.reason;
      return;
  }
}

void BackendHealth::record_probe_success(TimePoint now) {
  std::lock_guard lock(mutex_);
  advance(now);
  if (cut_off_ || breaker_ != Breaker::kClosed) {
    cut_off_ = false;
    close(now);
  }
  consecutive_failures_ = 0;
}

void BackendHealth::record_probe_failure(const Classification& result, TimePoint now) {
  std::lock_guard lock(mutex_);
  advance(now);
  if (cut_off_) {
    if (result.cls == FailureClass::kCutOff) last_reason_ = result.reason;
    return;
  }
  if (counts_as_failure(result.cls)) {
    // A failed health probe ejects at once, whatever the breaker's state: the probe runs off the
    // request path precisely so that a black-holed backend is found within one interval plus one
    // timeout, with no traffic and without users paying threshold x timeout first. If it was
    // already open, the next ejection, doubled, starts now.
    last_reason_ = result.reason;
    ++consecutive_failures_;
    eject(now);
    return;
  }
  record_locked(result, now, false);
}

void BackendHealth::record_request(TimePoint now) {
  std::lock_guard lock(mutex_);
  roll_window(now);
  requests_ += 1;
}

bool BackendHealth::try_acquire_retry(TimePoint now) {
  std::lock_guard lock(mutex_);
  roll_window(now);
  const double weight = window_weight(now);
  const double requests = prev_requests_ * weight + requests_;
  const double retries = prev_retries_ * weight + retries_;
  const bool allowed =
      retries < static_cast<double>(policy_.min_retries) || retries + 1 <= policy_.retry_ratio * requests;
  if (allowed) retries_ += 1;
  return allowed;
}

BackendHealth::Snapshot BackendHealth::snapshot(TimePoint now) const {
  std::lock_guard lock(mutex_);
  Snapshot s;
  s.state = state_locked(now);
  switch (s.state) {
    case HealthState::kCutOff: s.since = cut_off_since_; break;
    case HealthState::kOpen: s.since = opened_at_; break;
    case HealthState::kHalfOpen: s.since = open_until_; break;
    case HealthState::kBusy: s.since = busy_since_; break;
    case HealthState::kHealthy: s.since = std::max(closed_since_, std::min(busy_until_, now)); break;
  }
  s.last_reason = last_reason_;
  s.consecutive_failures = consecutive_failures_;
  s.ejections = streak(now);
  s.total_ejections = total_ejections_;
  return s;
}

void BackendHealth::advance(TimePoint now) {
  if (breaker_ == Breaker::kOpen && now >= open_until_) {
    breaker_ = Breaker::kHalfOpen;
    probe_in_flight_ = false;
  }
  // A probe whose result never came back must not keep the backend out forever.
  if (breaker_ == Breaker::kHalfOpen && probe_in_flight_ && now - probe_started_ >= policy_.probe_timeout) {
    probe_in_flight_ = false;
  }
}

void BackendHealth::on_failure(const Classification& result, TimePoint now) {
  // Failures of requests admitted before an ejection or a cut-off change nothing.
  if (cut_off_ || breaker_ == Breaker::kOpen) return;
  last_reason_ = result.reason;
  ++consecutive_failures_;
  if (breaker_ == Breaker::kHalfOpen || consecutive_failures_ >= policy_.failure_threshold) eject(now);
}

void BackendHealth::eject(TimePoint now) {
  ejections_ = streak(now) + 1;
  ++total_ejections_;
  auto duration = policy_.base_ejection;
  for (std::uint32_t i = 1; i < ejections_ && duration < policy_.max_ejection; ++i) duration *= 2;
  duration = std::min(duration, policy_.max_ejection);
  breaker_ = Breaker::kOpen;
  opened_at_ = now;
  open_until_ = now + duration;
  probe_in_flight_ = false;
}

void BackendHealth::close(TimePoint now) {
  breaker_ = Breaker::kClosed;
  closed_since_ = now;
  consecutive_failures_ = 0;
  probe_in_flight_ = false;
}

void BackendHealth::mark_busy(const Classification& result, TimePoint now) {
  HealthPolicy::Duration wait = policy_.default_busy;
  if (result.retry_after) wait = std::chrono::duration_cast<HealthPolicy::Duration>(*result.retry_after);
  const TimePoint until = now + std::min(wait, policy_.max_busy);
  if (until <= busy_until_) return;  // an earlier, longer window still holds
  if (now >= busy_until_) busy_since_ = now;
  busy_until_ = until;
}

std::uint32_t BackendHealth::streak(TimePoint now) const {
  // A breaker that stayed closed long enough has earned a fresh start at base_ejection.
  if (breaker_ == Breaker::kClosed && now - closed_since_ >= policy_.ejection_reset_after) return 0;
  return ejections_;
}

HealthState BackendHealth::state_locked(TimePoint now) const {
  if (cut_off_) return HealthState::kCutOff;
  if (breaker_ == Breaker::kOpen) return now < open_until_ ? HealthState::kOpen : HealthState::kHalfOpen;
  if (breaker_ == Breaker::kHalfOpen) return HealthState::kHalfOpen;
  if (now < busy_until_) return HealthState::kBusy;
  return HealthState::kHealthy;
}

void BackendHealth::roll_window(TimePoint now) {
  const auto elapsed = now - window_start_;
  if (elapsed >= 2 * policy_.retry_window) {
    prev_requests_ = prev_retries_ = 0;
    requests_ = retries_ = 0;
    window_start_ = now;
  } else if (elapsed >= policy_.retry_window) {
    prev_requests_ = requests_;
    prev_retries_ = retries_;
    requests_ = retries_ = 0;
    window_start_ += policy_.retry_window;
  }
}

double BackendHealth::window_weight(TimePoint now) const {
  using Seconds = std::chrono::duration<double>;
  const double into = Seconds(now - window_start_).count() / Seconds(policy_.retry_window).count();
  return std::clamp(1.0 - into, 0.0, 1.0);
}

}  // namespace sovgw::backends
