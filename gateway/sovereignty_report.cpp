#include "gateway/sovereignty_report.hpp"

#include <boost/json.hpp>

namespace sovgw {

namespace json = boost::json;
using backends::HealthState;
using Clock = std::chrono::steady_clock;

namespace {

// Seconds since `since` on the steady clock, as a wall-clock UNIX time for people and tools.
double unix_time_of(Clock::time_point since, Clock::time_point now) {
  const auto wall_now = std::chrono::system_clock::now();
  const auto wall = wall_now - std::chrono::duration_cast<std::chrono::system_clock::duration>(now - since);
  return std::chrono::duration<double>(wall.time_since_epoch()).count();
}

bool serves(HealthState state) { return state == HealthState::kHealthy || state == HealthState::kHalfOpen; }

json::object backend_entry(const SharedState& shared, std::size_t i, Clock::time_point now) {
  const auto& backend = shared.config.backends[i];
  const auto snap = shared.health[i]->snapshot(now);
  json::object entry{{"name", backend.name},
                     {"jurisdiction", backend.jurisdiction},
                     {"local", backend.local},
                     {"foreign", shared.foreign(backend)},
                     {"state", backends::to_string(snap.state)},
                     {"consecutive_failures", snap.consecutive_failures},
                     {"ejections", snap.ejections},
                     {"last_reason", snap.last_reason}};
  entry["since"] = snap.since == Clock::time_point{} ? json::value(nullptr) : json::value(unix_time_of(snap.since, now));
  return entry;
}

// The first target that would serve the model if every foreign backend vanished, or -1.
int sovereign_target(const SharedState& shared, const ModelConfig& model, Clock::time_point now) {
  for (std::size_t t = 0; t < model.targets.size(); ++t) {
    const auto index = model.targets[t].backend_index;
    if (shared.foreign(shared.config.backends[index])) continue;
    if (serves(shared.health[index]->snapshot(now).state)) return static_cast<int>(t);
  }
  return -1;
}

}  // namespace

bool sovereign_ready(const SharedState& shared, const ModelConfig& model, Clock::time_point now) {
  return sovereign_target(shared, model, now) >= 0;
}

std::string backends_report(const SharedState& shared, Clock::time_point now) {
  json::array backends;
  for (std::size_t i = 0; i < shared.config.backends.size(); ++i) backends.push_back(backend_entry(shared, i, now));
  json::array models;
  for (const auto& model : shared.config.models) {
    models.push_back(json::object{{"model", model.name}, {"sovereign_ready", sovereign_ready(shared, model, now)}});
  }
  return json::serialize(json::object{{"sovereign_mode", shared.sovereign_mode.load()},
                                      {"home_jurisdiction", shared.config.gateway.home_jurisdiction},
                                      {"backends", std::move(backends)},
                                      {"models", std::move(models)}});
}

std::string drill_report(const SharedState& shared, Clock::time_point now) {
  json::array models;
  std::size_t surviving = 0;
  for (const auto& model : shared.config.models) {
    const int t = sovereign_target(shared, model, now);
    json::object entry{{"model", model.name}, {"keeps_serving", t >= 0}};
    if (t >= 0) {
      const auto& target = model.targets[static_cast<std::size_t>(t)];
      entry["served_by"] = json::object{{"backend", target.backend}, {"model", target.model}};
      ++surviving;
    } else {
      json::array why;
      for (const auto& target : model.targets) {
        const auto& backend = shared.config.backends[target.backend_index];
        const auto state = shared.health[target.backend_index]->snapshot(now).state;
        why.push_back(json::object{{"backend", target.backend},
                                   {"foreign", shared.foreign(backend)},
                                   {"state", backends::to_string(state)}});
      }
      entry["targets"] = std::move(why);
    }
    models.push_back(std::move(entry));
  }
  return json::serialize(json::object{{"scenario", "every foreign backend unavailable"},
                                      {"models_total", shared.config.models.size()},
                                      {"models_serving", surviving},
                                      {"models", std::move(models)}});
}

}  // namespace sovgw
