// BackendHealth tests on a manual clock: scripted scenarios (failures → ejection → half-open probe
// → recovery or doubled ejection; sticky cut-off; busy windows), the retry budget, and a
// four-thread stress run that checks the invariants still hold.
#include "backends/backend_health.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sovgw::backends {
namespace {

using namespace std::chrono_literals;
using TimePoint = BackendHealth::TimePoint;
using FC = FailureClass;
using HS = HealthState;

const TimePoint kStart = TimePoint{} + std::chrono::hours(1000);

enum class Op { kAdmit, kRecord, kProbeSuccess, kProbeFailure, kExpect };

// One step of a scenario, at a time in seconds after kStart.
struct Step {
  double at_s = 0;
  Op op = Op::kExpect;
  FC cls = FC::kOk;
  std::optional<std::chrono::milliseconds> retry_after;
  bool allowed = false;
  bool is_probe = false;  // admit: expected; record: the result is the probe's
  HS state = HS::kHealthy;
  bool request_only = false;
};

Step step(double at, Op op, FC cls = FC::kOk) {
  Step s;
  s.at_s = at;
  s.op = op;
  s.cls = cls;
  return s;
}
Step admit(double at, bool allowed, bool is_probe, HS state) {
  Step s = step(at, Op::kAdmit);
  s.allowed = allowed;
  s.is_probe = is_probe;
  s.state = state;
  return s;
}
Step rec(double at, FC cls, std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
  Step s = step(at, Op::kRecord, cls);
  s.retry_after = retry_after;
  return s;
}
// The result of the request that admit() made the probe.
Step rec_probe(double at, FC cls) {
  Step s = step(at, Op::kRecord, cls);
  s.is_probe = true;
  return s;
}
Step probe_ok(double at) { return step(at, Op::kProbeSuccess); }
Step probe_fail(double at, FC cls) { return step(at, Op::kProbeFailure, cls); }
Step expect(double at, HS state) {
  Step s = step(at, Op::kExpect);
  s.state = state;
  return s;
}

TimePoint at(double seconds) {
  return kStart + std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(seconds));
}

Classification result(FC cls, std::optional<std::chrono::milliseconds> retry_after, bool request_only) {
  return Classification{cls, std::string(to_string(cls)) + "_reason", retry_after, false, request_only};
}

void run(BackendHealth& health, const std::vector<Step>& steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    CAPTURE(i);
    CAPTURE(s.at_s);
    switch (s.op) {
      case Op::kAdmit: {
        const auto a = health.admit(at(s.at_s));
        CHECK(a.allowed == s.allowed);
        CHECK(a.is_probe == s.is_probe);
        CHECK(to_string(a.state) == to_string(s.state));
        break;
      }
      case Op::kRecord: health.record(result(s.cls, s.retry_after, s.request_only), at(s.at_s), s.is_probe); break;
      case Op::kProbeSuccess: health.record_probe_success(at(s.at_s)); break;
      case Op::kProbeFailure: health.record_probe_failure(result(s.cls, std::nullopt, false), at(s.at_s)); break;
      case Op::kExpect: CHECK(to_string(health.snapshot(at(s.at_s)).state) == to_string(s.state)); break;
    }
  }
}

struct Scenario {
  const char* name;
  std::vector<Step> steps;
};

// Default policy: threshold 3, ejection 30 s doubling to 300 s, streak reset after 300 s closed,
// default busy 1 s.
std::vector<Scenario> scenarios() {
  Step too_large = rec(1, FC::kRateLimited);
  too_large.request_only = true;
  return {
      {"failures below the threshold keep the backend in rotation; ok resets the count",
       {rec(0, FC::kNetwork), rec(1, FC::kServerError), rec(2, FC::kOk), rec(3, FC::kOverloaded),
        rec(4, FC::kNetwork), admit(5, true, false, HS::kHealthy)}},
      {"threshold failures open the breaker; skipped while open; one probe when half-open; success closes",
       {rec(0, FC::kNetwork), rec(1, FC::kNetwork), admit(1.5, true, false, HS::kHealthy), rec(2, FC::kNetwork),
        admit(2, false, false, HS::kOpen), admit(31.9, false, false, HS::kOpen), expect(32, HS::kHalfOpen),
        admit(32, true, true, HS::kHalfOpen), admit(32.1, false, false, HS::kHalfOpen),
        admit(40, false, false, HS::kHalfOpen), rec(41, FC::kOk), admit(41, true, false, HS::kHealthy),
        admit(41, true, false, HS::kHealthy)}},
      {"probe failure re-opens with the doubled time, up to the cap",
       {rec(0, FC::kNetwork), rec(0, FC::kNetwork), rec(0, FC::kNetwork),                      // 30 s
        admit(30, true, true, HS::kHalfOpen), rec(30, FC::kServerError),                        // 60 s
        admit(89.9, false, false, HS::kOpen), admit(90, true, true, HS::kHalfOpen), rec(90, FC::kNetwork),  // 120 s
        admit(209, false, false, HS::kOpen), admit(210, true, true, HS::kHalfOpen), rec(210, FC::kNetwork),  // 240 s
        admit(449, false, false, HS::kOpen), admit(450, true, true, HS::kHalfOpen), rec(450, FC::kNetwork),  // 300 s cap
        admit(749, false, false, HS::kOpen), admit(750, true, true, HS::kHalfOpen), rec(750, FC::kOverloaded),  // 300 s
        admit(1049, false, false, HS::kOpen), admit(1050, true, true, HS::kHalfOpen), rec(1050, FC::kOk),
        admit(1051, true, false, HS::kHealthy)}},
      {"a flapping backend keeps doubling; a sustained recovery starts again at the base time",
       {rec(0, FC::kNetwork), rec(0, FC::kNetwork), rec(0, FC::kNetwork), admit(30, true, true, HS::kHalfOpen),
        rec(30, FC::kOk),                                                     // closed at 30, streak 1
        rec(40, FC::kNetwork), rec(40, FC::kNetwork), rec(40, FC::kNetwork),  // streak 2: 60 s
        admit(99, false, false, HS::kOpen), admit(100, true, true, HS::kHalfOpen), rec(100, FC::kOk),
        // closed at 100 for 300 s → streak resets: next ejection is 30 s again
        rec(400, FC::kNetwork), rec(400, FC::kNetwork), rec(400, FC::kNetwork), admit(429, false, false, HS::kOpen),
        admit(430, true, true, HS::kHalfOpen)}},
      {"stragglers recorded while open change nothing",
       {rec(0, FC::kNetwork), rec(0, FC::kNetwork), rec(0, FC::kNetwork), rec(5, FC::kOk), rec(6, FC::kNetwork),
        admit(29, false, false, HS::kOpen), admit(30, true, true, HS::kHalfOpen)}},
      {"a neutral probe result frees the probe slot for the next request; a straggler's does not",
       {rec(0, FC::kNetwork), rec(0, FC::kNetwork), rec(0, FC::kNetwork), admit(30, true, true, HS::kHalfOpen),
        admit(31, false, false, HS::kHalfOpen), rec(31, FC::kClientError), admit(31, false, false, HS::kHalfOpen),
        rec_probe(32, FC::kClientError), admit(33, true, true, HS::kHalfOpen)}},
      {"a rate-limited probe frees the slot once the busy window ends",
       {rec(0, FC::kNetwork), rec(0, FC::kNetwork), rec(0, FC::kNetwork), admit(30, true, true, HS::kHalfOpen),
        rec_probe(31, FC::kRateLimited), admit(31.5, false, false, HS::kHalfOpen),
        admit(32, true, true, HS::kHalfOpen), rec_probe(33, FC::kOk), admit(33, true, false, HS::kHealthy)}},
      {"a lost probe frees its slot after probe_timeout (150 s)",
       {rec(0, FC::kNetwork), rec(0, FC::kNetwork), rec(0, FC::kNetwork), admit(30, true, true, HS::kHalfOpen),
        admit(179, false, false, HS::kHalfOpen), admit(180, true, true, HS::kHalfOpen)}},
      {"an active probe success closes an open breaker early",
       {rec(0, FC::kNetwork), rec(0, FC::kNetwork), rec(0, FC::kNetwork), probe_ok(10),
        admit(10, true, false, HS::kHealthy)}},
      {"cut_off is sticky until an active probe succeeds",
       {rec(0, FC::kCutOff), admit(0, false, false, HS::kCutOff), rec(1, FC::kOk), rec(2, FC::kNetwork),
        admit(3600, false, false, HS::kCutOff), probe_fail(3600, FC::kNetwork), probe_fail(3601, FC::kCutOff),
        admit(86400, false, false, HS::kCutOff), probe_ok(86400), admit(86400, true, false, HS::kHealthy)}},
      {"cut_off wins over an open breaker and a busy window",
       {rec(0, FC::kRateLimited, 60s), rec(0, FC::kNetwork), rec(0, FC::kNetwork), rec(0, FC::kNetwork),
        rec(1, FC::kCutOff), admit(2, false, false, HS::kCutOff), probe_ok(3), admit(3, false, false, HS::kBusy),
        admit(60, true, false, HS::kHealthy)}},
      {"a failed active probe ejects a healthy backend at once (black hole found without traffic)",
       {admit(0, true, false, HS::kHealthy), probe_fail(5, FC::kNetwork), admit(5, false, false, HS::kOpen),
        admit(34.9, false, false, HS::kOpen), admit(35, true, true, HS::kHalfOpen)}},
      {"a probe answered with a client error does not eject",
       {probe_fail(5, FC::kClientError), admit(5, true, false, HS::kHealthy)}},
      {"an active probe failure on an open breaker re-ejects with the doubled time",
       {rec(0, FC::kNetwork), rec(0, FC::kNetwork), rec(0, FC::kNetwork), probe_fail(10, FC::kNetwork),
        admit(69, false, false, HS::kOpen), admit(70, true, true, HS::kHalfOpen)}},
      {"busy until retry_after, then healthy by itself",
       {rec(0, FC::kRateLimited, 20s), admit(0, false, false, HS::kBusy), admit(19.9, false, false, HS::kBusy),
        admit(20, true, false, HS::kHealthy)}},
      {"busy without retry_after lasts the default 1 s",
       {rec(0, FC::kRateLimited), admit(0.5, false, false, HS::kBusy), admit(1, true, false, HS::kHealthy)}},
      {"a shorter busy window does not cut a longer one short",
       {rec(0, FC::kRateLimited, 10s), rec(1, FC::kRateLimited, 2s), admit(5, false, false, HS::kBusy),
        admit(10, true, false, HS::kHealthy)}},
      {"a server-directed busy window is capped at max_busy (15 min)",
       {rec(0, FC::kRateLimited, std::chrono::hours(24)), admit(899, false, false, HS::kBusy),
        admit(900, true, false, HS::kHealthy)}},
      {"429 Request too large leaves the backend in rotation", {too_large, admit(1, true, false, HS::kHealthy)}},
      {"503 with Retry-After makes the backend busy and counts as a failure",
       {rec(0, FC::kOverloaded, 5s), admit(1, false, false, HS::kBusy), admit(5, true, false, HS::kHealthy)}},
      {"rate limits do not count towards ejection; client errors are neutral",
       {rec(0, FC::kRateLimited, 0ms), rec(0, FC::kRateLimited, 0ms), rec(0, FC::kRateLimited, 0ms),
        rec(0, FC::kClientError), rec(0, FC::kClientError), rec(0, FC::kClientError),
        admit(0, true, false, HS::kHealthy)}},
  };
}

TEST_CASE("health scenarios on a manual clock") {
  for (const auto& scenario : scenarios()) {
    CAPTURE(scenario.name);
    BackendHealth health;
    run(health, scenario.steps);
  }
}

TEST_CASE("snapshot reports state, since, reason and counters") {
  BackendHealth health;
  auto s = health.snapshot(at(0));
  CHECK(s.state == HS::kHealthy);
  CHECK(s.last_reason.empty());

  health.record(Classification{FC::kNetwork, "connect_refused", std::nullopt, true, false}, at(1));
  health.record(Classification{FC::kNetwork, "connect_refused", std::nullopt, true, false}, at(2));
  CHECK(health.snapshot(at(2)).consecutive_failures == 2);
  health.record(Classification{FC::kServerError, "bad_gateway", std::nullopt, true, false}, at(3));
  s = health.snapshot(at(4));
  CHECK(s.state == HS::kOpen);
  CHECK(s.since == at(3));
  CHECK(s.last_reason == "bad_gateway");
  CHECK(s.consecutive_failures == 3);
  CHECK(s.ejections == 1);
  CHECK(s.total_ejections == 1);
  s = health.snapshot(at(33));
  CHECK(s.state == HS::kHalfOpen);
  CHECK(s.since == at(33));

  CHECK(health.admit(at(34)).is_probe);
  health.record(Classification{FC::kOk, "ok", std::nullopt, false, false}, at(35));
  s = health.snapshot(at(36));
  CHECK(s.state == HS::kHealthy);
  CHECK(s.since == at(35));
  CHECK(s.consecutive_failures == 0);
  CHECK(s.ejections == 1);  // kept until a sustained recovery
  CHECK(health.snapshot(at(35 + 300)).ejections == 0);
  CHECK(s.total_ejections == 1);

  health.record(Classification{FC::kCutOff, "region_blocked", std::nullopt, false, false}, at(40));
  health.record(Classification{FC::kNetwork, "dns", std::nullopt, true, false}, at(41));
  s = health.snapshot(at(42));
  CHECK(s.state == HS::kCutOff);
  CHECK(s.since == at(40));
  CHECK(s.last_reason == "region_blocked");  // the reason it is out, not a later straggler

  health.record_probe_success(at(50));
  health.record(Classification{FC::kRateLimited, "rate_limited", std::chrono::milliseconds(2000), true, false},
                at(51));
  s = health.snapshot(at(52));
  CHECK(s.state == HS::kBusy);
  CHECK(s.since == at(51));
  s = health.snapshot(at(60));
  CHECK(s.state == HS::kHealthy);
  CHECK(s.since == at(53));
}

TEST_CASE("retry budget: a bounded share of requests, with a floor for low traffic") {
  struct Row {
    const char* name;
    int requests;
    int expected_retries;
  };
  const Row rows[] = {
      {"no traffic still allows the minimum", 0, 3},
      {"low traffic allows the minimum", 5, 3},
      {"20% of 100 requests", 100, 20},
      {"20% of 1000 requests", 1000, 200},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    BackendHealth health;
    for (int i = 0; i < row.requests; ++i) health.record_request(at(1));
    int granted = 0;
    for (int i = 0; i < row.requests + 10; ++i) granted += health.try_acquire_retry(at(2)) ? 1 : 0;
    CHECK(granted == row.expected_retries);
  }
}

TEST_CASE("retry budget slides: spent retries age out with their window") {
  BackendHealth health;  // window 10 s
  for (int i = 0; i < 100; ++i) health.record_request(at(0));
  int granted = 0;
  while (health.try_acquire_retry(at(1))) ++granted;
  CHECK(granted == 20);
  // Half-way through the next window half of the old requests and retries still count: no room.
  CHECK_FALSE(health.try_acquire_retry(at(15)));
  // Two windows later everything has aged out; only the floor remains.
  granted = 0;
  while (health.try_acquire_retry(at(40))) ++granted;
  CHECK(granted == 3);
}

TEST_CASE("4 threads admitting at once in half-open state get exactly one probe") {
  for (int round = 0; round < 20; ++round) {
    BackendHealth health;
    for (int i = 0; i < 3; ++i) health.record(result(FC::kNetwork, std::nullopt, false), at(0));
    std::atomic<int> probes{0}, allowed{0};
    std::vector<std::thread> threads;
    for (int id = 0; id < 4; ++id) {
      threads.emplace_back([&] {
        for (int i = 0; i < 1000; ++i) {
          const auto a = health.admit(at(30 + i * 0.001));
          probes += a.is_probe ? 1 : 0;
          allowed += a.allowed ? 1 : 0;
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(probes.load() == 1);
    CHECK(allowed.load() == 1);
  }
}

TEST_CASE("concurrent admit and record from 4 threads keep the invariants") {
  HealthPolicy policy;
  policy.base_ejection = std::chrono::milliseconds(50);
  policy.max_ejection = std::chrono::milliseconds(400);
  BackendHealth health(policy);
  std::atomic<std::int64_t> clock_ms{0};
  std::atomic<int> inconsistent{0}, probes{0}, retries{0}, requests{0};

  auto worker = [&](int id) {
    for (int i = 0; i < 20000; ++i) {
      const auto now = kStart + std::chrono::milliseconds(clock_ms.fetch_add(1));
      const auto a = health.admit(now);
      // An admission agrees with itself: probes only when half-open, plain admits only when healthy.
      const bool consistent = a.is_probe ? (a.allowed && a.state == HS::kHalfOpen)
                                         : (a.allowed == (a.state == HS::kHealthy));
      if (!consistent) ++inconsistent;
      if (!a.allowed) continue;
      probes += a.is_probe ? 1 : 0;
      // Alternate healthy phases (mixed results) with outages (network failures only).
      const int pick = (i * 7 + id) % 10;
      const bool outage = (i / 500) % 2 == 1;
      const FC cls = outage     ? FC::kNetwork
                     : pick < 6 ? FC::kOk
                     : pick < 8 ? FC::kNetwork
                     : pick < 9 ? FC::kRateLimited
                                : FC::kClientError;
      health.record(Classification{cls, "stress", std::chrono::milliseconds(1), true, false}, now, a.is_probe);
      health.record_request(now);
      ++requests;
      if (health.try_acquire_retry(now)) ++retries;
      if (id == 0 && i % 5000 == 4999) {
        health.record(Classification{FC::kCutOff, "stress_cut", std::nullopt, false, false}, now);
        CHECK(health.admit(now).state == HS::kCutOff);
        health.record_probe_success(now);
      }
    }
  };
  std::vector<std::thread> threads;
  for (int id = 0; id < 4; ++id) threads.emplace_back(worker, id);
  for (auto& t : threads) t.join();

  CHECK(inconsistent.load() == 0);
  CHECK(probes.load() > 0);
  // The budget holds over the whole run: 20% of requests plus the floor for each 10 s window.
  CHECK(retries.load() <= requests.load() / 5 + 3 * 9);
  const auto end = kStart + std::chrono::milliseconds(clock_ms.load());
  const auto s = health.snapshot(end);
  CHECK(s.total_ejections > 0);
  CHECK(s.ejections <= s.total_ejections);
  // Still a working state machine afterwards.
  health.record_probe_success(end);
  CHECK(health.admit(end + std::chrono::seconds(1)).allowed);
}

}  // namespace
}  // namespace sovgw::backends
