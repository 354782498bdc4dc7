#include "gateway/server.hpp"

#include <sys/socket.h>

#include <cstdlib>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "gateway/admin_api.hpp"
#include "gateway/http_session.hpp"
#include "gateway/log.hpp"
#include "gateway/protocol_bridge.hpp"

namespace sovgw {

namespace net = boost::asio;
using net::ip::tcp;
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);

namespace {

// The only catch-all: a coroutine that throws is a bug; say so loudly and keep serving others.
void report_exception(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    log_error(std::string("bug: unhandled exception in a connection: ") + e.what());
  }
}

tcp::endpoint resolve_listen(const ListenAddress& listen) {
  boost::system::error_code ec;
  auto address = net::ip::make_address(listen.host == "localhost" ? "127.0.0.1" : listen.host, ec);
  if (ec) throw std::runtime_error("listen address " + listen.text + " is not an IP address");
  return {address, listen.port};
}

std::string endpoint_text(const tcp::endpoint& ep) {
  auto addr = ep.address();
  return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" + std::to_string(ep.port());
}

std::unique_ptr<tcp::acceptor> open_acceptor(net::io_context& io, const tcp::endpoint& ep, bool reuse_port) {
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  acceptor->open(ep.protocol());
  acceptor->set_option(tcp::acceptor::reuse_address(true));
  if (reuse_port) {
    int one = 1;
    if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      throw std::runtime_error("cannot set SO_REUSEPORT");
    }
  }
  acceptor->bind(ep);
  acceptor->listen(net::socket_base::max_listen_connections);
  return acceptor;
}

net::awaitable<void> accept_clients(Worker& worker, tcp::acceptor& acceptor) {
  auto& shared = worker.shared();
  const auto limit = static_cast<std::int64_t>(worker.config().gateway.max_connections);
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kAsTuple);
    if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors or similar: back off briefly instead of spinning.
      log_warn("accept failed: " + ec.message());
      net::steady_timer pause(worker.io(), std::chrono::milliseconds(50));
      co_await pause.async_wait(kAsTuple);
      continue;
    }
    const auto open = shared.active_connections.fetch_add(1, std::memory_order_relaxed) + 1;
    auto session = open > limit ? refuse_client_session(worker, std::move(socket))
                                : run_client_session(worker, std::move(socket));
    net::co_spawn(worker.io(), std::move(session), report_exception);
  }
}

net::awaitable<void> accept_admin(Worker& worker, tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kAsTuple);
    if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;
    net::co_spawn(worker.io(), run_admin_session(worker, std::move(socket)), report_exception);
  }
}

std::string models_list_body(const Config& config) {
  boost::json::array data;
  for (const auto& model : config.models) {
    data.push_back(boost::json::object{{"id", model.name}, {"object", "model"}, {"created", 0}, {"owned_by", "sovgw"}});
  }
  return boost::json::serialize(boost::json::object{{"object", "list"}, {"data", std::move(data)}});
}

// The same list in Anthropic's shape, for Anthropic SDKs (which send anthropic-version).
std::string anthropic_models_list_body(const Config& config) {
  boost::json::array data;
  for (const auto& model : config.models) data.push_back(anthropic_model_object(model.name));
  boost::json::object list{{"data", std::move(data)}, {"has_more", false}};
  list["first_id"] = config.models.empty() ? boost::json::value() : boost::json::value(config.models.front().name);
  list["last_id"] = config.models.empty() ? boost::json::value() : boost::json::value(config.models.back().name);
  return boost::json::serialize(list);
}

}  // namespace

Server::Server(Config config) : config_(std::move(config)), shared_(config_) {}

Server::~Server() { shutdown(); }

// Before any listener: a gateway that cannot record requests does not serve them.
Status Server::open_audit() {
  const auto& audit = config_.audit;
  if (!audit.enabled()) {
    log_warn("audit trail is off (no [audit] in the config): requests are not recorded");
    return Ok{};
  }
  policy::AuditLogOptions options;
  options.path = audit.path;
  options.sync = audit.sync;
  options.queue_capacity = audit.queue_capacity;
  options.on_error = [](std::string_view message) { log_error(message); };
  auto opened = policy::AuditLog::open(std::move(options));
  if (!opened) return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false,
                                 "cannot start: " + opened.error().detail);
  shared_.audit = std::move(*opened);
  const auto seq = shared_.audit->stats().last_seq;
  log_info("audit trail: " + audit.path + " (" + std::to_string(seq) + " records so far" +
           (audit.sync ? ", fsync per batch)" : ")"));
  return Ok{};
}

void Server::close_audit() {
  if (!shared_.audit) return;
  auto flushed = shared_.audit->flush();
  const auto stats = shared_.audit->stats();
  if (flushed) {
    log_info("audit trail: " + std::to_string(stats.written) + " records written, last seq " +
             std::to_string(*flushed));
  } else {
    log_error(flushed.error().detail);
  }
  if (stats.dropped > 0) log_error("audit trail: " + std::to_string(stats.dropped) + " records were not recorded");
  shared_.audit.reset();
}

Status Server::prepare_backends() {
  for (const auto& backend : config_.backends) {
    backends::TlsClientContext tls;
    if (backend.url.tls) {
      auto made = backends::make_tls_client_context(backend);
      if (!made) return made.error();
      tls = std::move(*made);
    }
    shared_.tls.push_back(std::move(tls));
    std::string key;
    if (!backend.api_key_env.empty()) {
      if (const char* value = std::getenv(backend.api_key_env.c_str()); value && *value) {
        key = value;
      } else {
        log_warn("backend " + backend.name + ": environment variable " + backend.api_key_env +
                 " is not set; requests go without an API key");
      }
    }
    shared_.api_keys.push_back(std::move(key));
    backends::HealthPolicy policy;
    policy.failure_threshold = backend.failure_threshold;
    policy.base_ejection = std::chrono::milliseconds(backend.base_ejection_ms);
    policy.max_ejection = std::chrono::milliseconds(backend.max_ejection_ms);
    shared_.health.push_back(std::make_unique<backends::BackendHealth>(policy));
  }
  shared_.models_body = models_list_body(config_);
  shared_.anthropic_models_body = anthropic_models_list_body(config_);
  return Ok{};
}

// Each tenant's gateway API keys, comma-separated in the environment variable its config names.
Status Server::load_tenant_keys() {
  for (std::size_t i = 0; i < config_.tenants.size(); ++i) {
    const TenantConfig& tenant = config_.tenants[i];
    const char* value = std::getenv(tenant.api_keys_env.c_str());
    std::string_view keys = value ? value : "";
    std::size_t loaded = 0;
    while (!keys.empty()) {
      const auto comma = keys.find(',');
      std::string_view key = keys.substr(0, comma);
      keys = comma == std::string_view::npos ? std::string_view{} : keys.substr(comma + 1);
      while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
      while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
      if (key.empty()) continue;
      auto [it, inserted] = shared_.tenant_keys.try_emplace(std::string(key), i);
      if (!inserted && it->second != i) {
        return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false,
                          "tenant " + tenant.name + ": a key in " + tenant.api_keys_env + " also belongs to tenant " +
                              config_.tenants[it->second].name);
      }
      ++loaded;
    }
    if (loaded == 0) {
      log_warn("tenant " + tenant.name + ": environment variable " + tenant.api_keys_env +
               " holds no keys; no client can act as this tenant");
    }
  }
  return Ok{};
}

// The admin token and the access log: a token variable that is unset, or a log file that cannot
// be opened, stops the start rather than running unprotected or blind.
Status Server::open_operations() {
  auto auth = AdminAuth::from_env(config_.admin);
  if (!auth) return auth.error();
  shared_.admin_auth = *auth;
  if (config_.access_log.enabled) {
    auto log = AccessLog::open(config_.access_log, sovgw::worker_count(config_.gateway));
    if (!log) return log.error();
    shared_.access_log = std::move(*log);
  }
  return Ok{};
}

void Server::reopen_logs() {
  if (shared_.access_log) shared_.access_log->reopen();
}

// The response cache opens before any listener: a cache that cannot open is a startup error.
Status Server::open_cache() {
  if (!config_.cache.enabled) return Ok{};
  cache::CacheOptions options;
  options.path = config_.cache.path;
  options.ttl = std::chrono::seconds(config_.cache.ttl_seconds);
  options.stale_if_error = std::chrono::seconds(config_.cache.stale_if_error_seconds);
  options.max_bytes = config_.cache.max_bytes;
  auto opened = cache::ResponseCache::open(std::move(options));
  if (!opened) return opened.error();
  shared_.cache = std::move(*opened);
  log_info("response cache at " + config_.cache.path);
  return Ok{};
}

Status Server::bind_listeners() {
  try {
    auto endpoint = resolve_listen(config_.gateway.listen);
    for (auto& worker : workers_) {
      acceptors_.push_back(open_acceptor(worker->io(), endpoint, true));
      endpoint.port(acceptors_.front()->local_endpoint().port());  // port 0: the others share the first's
    }
    listen_address_ = endpoint_text(acceptors_.front()->local_endpoint());
    admin_acceptor_ = open_acceptor(workers_.front()->io(), resolve_listen(config_.admin.listen), false);
    admin_address_ = endpoint_text(admin_acceptor_->local_endpoint());
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false, std::string("cannot listen: ") + e.what());
  }
  return Ok{};
}

Status Server::start() {
  if (auto audit = open_audit(); !audit) return audit;
  if (auto prepared = prepare_backends(); !prepared) return prepared;
  if (auto keys = load_tenant_keys(); !keys) return keys;
  if (auto opened = open_operations(); !opened) return opened;
  if (auto opened = open_cache(); !opened) return opened;
  const unsigned count = sovgw::worker_count(config_.gateway);
  for (unsigned i = 0; i < count; ++i) workers_.push_back(std::make_unique<Worker>(shared_, i));
  if (auto bound = bind_listeners(); !bound) return bound;

  for (std::size_t i = 0; i < workers_.size(); ++i) {
    net::co_spawn(workers_[i]->io(), accept_clients(*workers_[i], *acceptors_[i]), report_exception);
  }
  net::co_spawn(workers_.front()->io(), accept_admin(*workers_.front(), *admin_acceptor_), report_exception);
  prober_ = std::make_unique<HealthProber>(*workers_.front());
  prober_->start();
  if (shared_.sovereign_mode.load()) log_warn("sovereign mode is on (gateway.sovereign_mode): foreign targets are not used");
  for (auto& worker : workers_) {
    threads_.emplace_back([&io = worker->io()] {
      auto guard = net::make_work_guard(io);  // keep running with no connections
      io.run();
    });
  }
  shared_.ready.store(true);
  return Ok{};
}

void Server::shutdown() {
  if (stopped_ || threads_.empty()) return;
  stopped_ = true;
  shared_.draining.store(true);
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    net::post(workers_[i]->io(), [this, i] {
      boost::system::error_code ec;
      acceptors_[i]->close(ec);
      workers_[i]->cancel_idle_connections();
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.gateway.drain_timeout_ms);
  while (shared_.active_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (auto left = shared_.active_connections.load(); left > 0) {
    log_warn("drain timeout: closing " + std::to_string(left) + " connections still open");
  }
  net::post(workers_.front()->io(), [this] {
    boost::system::error_code ec;
    admin_acceptor_->close(ec);
  });
  for (auto& worker : workers_) worker->io().stop();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  close_audit();  // after the workers: every request's record has been handed over
  // After the workers: cache work still queued posts its completions to their stopped loops.
  if (shared_.cache) shared_.cache->close();
}

}  // namespace sovgw
