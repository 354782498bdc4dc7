#include "gateway/health_prober.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backends/upstream_exchange.hpp"
#include "gateway/log.hpp"

namespace sovgw {

namespace net = boost::asio;
namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct HealthProber::Target {
  std::size_t index;
  backends::BackendConfig config;  // the backend's, with probe timeouts and no pooling
  std::unique_ptr<backends::ConnectionPool> pool;
};

namespace {

net::awaitable<backends::Classification> probe_once(SharedState& shared, HealthProber* /*owner*/,
                                                    backends::ConnectionPool& pool, const backends::BackendConfig& b,
                                                    std::size_t index) {
  backends::UpstreamRequest request{http::verb::get, b.url.base_path + b.health_check_path, 11};
  request.set(http::field::host, b.url.host_header);
  request.set(http::field::user_agent, "sovgw-health-check");
  const auto& key = shared.api_keys[index];
  if (b.protocol == backends::Protocol::kAnthropic) {
    if (!key.empty()) request.set("x-api-key", key);
    request.set("anthropic-version", b.anthropic_version);
  } else if (!key.empty()) {
    request.set(http::field::authorization, "Bearer " + key);
  }
  request.keep_alive(false);
  backends::ExchangeTimeouts timeouts;
  timeouts.first_byte = milliseconds(b.health_check_timeout_ms);
  timeouts.idle = milliseconds(b.health_check_timeout_ms);
  timeouts.deadline = Clock::now() + milliseconds(b.health_check_timeout_ms);
  auto exchange = co_await backends::UpstreamExchange::start(pool, request, timeouts);
  if (!exchange) co_return shared.classifier.classify(exchange.error());
  auto body = co_await (*exchange)->read_body(64 * 1024);
  if (!body) co_return shared.classifier.classify(body.error());
  const unsigned status = (*exchange)->status();
  if (status >= 200 && status < 300) {
    backends::Classification ok;
    ok.reason = "ok";
    co_return ok;
  }
  std::vector<backends::HttpHeader> views;
  for (const auto& field : (*exchange)->headers()) views.push_back({field.name_string(), field.value()});
  co_return shared.classifier.classify(status, views, *body, std::chrono::system_clock::now());
}

}  // namespace

HealthProber::HealthProber(Worker& worker) : worker_(worker) {
  const auto& shared = worker.shared();
  for (std::size_t i = 0; i < shared.config.backends.size(); ++i) {
    const auto& backend = shared.config.backends[i];
    if (!backend.health_check) continue;
    auto target = std::make_unique<Target>(Target{i, backend, nullptr});
    target->config.connect_timeout_ms = std::min(backend.connect_timeout_ms, backend.health_check_timeout_ms);
    target->config.max_idle_connections = 0;
    target->config.max_connections = 1;
    target->pool = std::make_unique<backends::ConnectionPool>(target->config, shared.tls[i]);
    targets_.push_back(std::move(target));
  }
}

HealthProber::~HealthProber() = default;

void HealthProber::start() {
  for (auto& target : targets_) {
    net::co_spawn(
        worker_.io(),
        [this, t = target.get()]() -> net::awaitable<void> {
          SharedState& shared = worker_.shared();
          auto& health = *shared.health[t->index];
          net::steady_timer timer(worker_.io());
          for (;;) {
            timer.expires_after(milliseconds(t->config.health_check_interval_ms));
            auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable));
            if (ec || shared.draining.load()) co_return;
            const auto before = health.snapshot(Clock::now()).state;
            auto result = co_await probe_once(shared, this, *t->pool, t->config, t->index);
            if (result.cls == backends::FailureClass::kOk) {
              health.record_probe_success(Clock::now());
            } else {
              health.record_probe_failure(result, Clock::now());
            }
            const auto after = health.snapshot(Clock::now()).state;
            if (after != before) {
              log_warn("health check: backend " + t->config.name + " is now " + std::string(backends::to_string(after)) +
                       " (probe: " + std::string(backends::to_string(result.cls)) + ", " + result.reason + ")");
            }
            check_auto_sovereign(shared);
          }
        },
        net::detached);
  }
}

void check_auto_sovereign(SharedState& shared) {
  if (!shared.config.gateway.auto_sovereign_mode || shared.sovereign_mode.load()) return;
  bool any_foreign = false;
  for (std::size_t i = 0; i < shared.config.backends.size(); ++i) {
    if (!shared.foreign(shared.config.backends[i])) continue;
    any_foreign = true;
    if (shared.health[i]->snapshot(Clock::now()).state != backends::HealthState::kCutOff) return;
  }
  if (!any_foreign) return;
  shared.sovereign_mode.store(true);
  log_error("SOVEREIGN MODE ENTERED automatically: every foreign backend is cut off; only local and " +
            shared.config.gateway.home_jurisdiction + " targets are used (by: auto_sovereign_mode)");
}

}  // namespace sovgw
