// HealthProber: active health checks, off the request path. For each backend with health_check on,
// a coroutine on worker 0 sends `GET {base_url}{health_check_path}` every interval on a fresh
// connection (reachability is what is measured, not a pooled socket), classifies the answer with
// the same FailureClassifier as requests, and reports to the backend's BackendHealth: a success
// clears cut_off and closes the breaker; a network/5xx failure ejects at once, so a black-holed
// provider is found within interval + timeout even with no traffic. Also drives the optional
// automatic sovereign mode. Worker 0's thread only.
#pragma once

#include <memory>
#include <vector>

#include "gateway/worker.hpp"

namespace sovgw {

class HealthProber {
 public:
  explicit HealthProber(Worker& worker);
  ~HealthProber();
  void start();  // spawns the probe loops on the worker's io_context

 private:
  struct Target;
  Worker& worker_;
  std::vector<std::unique_ptr<Target>> targets_;
};

// Enters sovereign mode, loudly, when every foreign backend is cut off (gateway.auto_sovereign_mode).
void check_auto_sovereign(SharedState& shared);

}  // namespace sovgw
