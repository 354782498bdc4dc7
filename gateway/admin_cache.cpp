// See admin_cache.hpp.
#include "gateway/admin_cache.hpp"

#include <optional>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "gateway/log.hpp"
#include "gateway/openai_error.hpp"

namespace sovgw {

namespace json = boost::json;
namespace net = boost::asio;

namespace {

AdminAnswer error_answer(ErrorCode code, std::string_view message) {
  auto error = to_client_error(code, message);
  return AdminAnswer{error.status, std::move(error.body)};
}

json::object stats_json(const CacheConfig& config, const cache::CacheStats& stats) {
  return json::object{
      {"enabled", true},
      {"path", config.path},
      {"entries", stats.entries},
      {"bytes", stats.bytes},
      {"max_bytes", config.max_bytes},
      {"compression", stats.compression},
      {"ttl_seconds", config.ttl_seconds},
      {"stale_if_error_seconds", config.stale_if_error_seconds},
      {"hits", stats.hits},
      {"stale_found", stats.stale_found},
      {"misses", stats.misses},
      {"stale_served", stats.stale_served},
      {"stores", stats.stores},
      {"errors", stats.errors},
  };
}

// What DELETE should remove: every entry, one tenant's or one model's.
struct ClearScope {
  std::optional<std::string> tenant;
  std::optional<std::string> model;
  std::string problem;  // non-empty: the query is not usable
};

ClearScope parse_scope(std::string_view target) {
  ClearScope scope;
  auto url = boost::urls::parse_origin_form(target);
  if (!url) {
    scope.problem = "The request target is not a valid URL.";
    return scope;
  }
  for (const auto& param : url->params()) {
    auto& slot = param.key == "tenant" ? scope.tenant : scope.model;
    if ((param.key != "tenant" && param.key != "model") || !param.has_value || param.value.empty() || slot) {
      scope.problem = "Use DELETE /admin/cache, /admin/cache?tenant=NAME or /admin/cache?model=NAME.";
      return scope;
    }
    slot = std::string(param.value);
  }
  if (scope.tenant && scope.model) scope.problem = "Give a tenant or a model, not both.";
  return scope;
}

net::awaitable<AdminAnswer> clear_cache(SharedState& shared, std::string_view target, const std::string& peer) {
  auto scope = parse_scope(target);
  if (!scope.problem.empty()) co_return error_answer(ErrorCode::kInvalidRequest, scope.problem);
  auto& cache = *shared.cache;
  Result<std::uint64_t> cleared = std::uint64_t{0};
  json::object body;
  if (scope.tenant) {
    auto result = co_await cache.clear_tenant(*scope.tenant);
    cleared = std::move(result);
    body = {{"scope", "tenant"}, {"tenant", *scope.tenant}};
  } else if (scope.model) {
    auto result = co_await cache.clear_model(*scope.model);
    cleared = std::move(result);
    body = {{"scope", "model"}, {"model", *scope.model}};
  } else {
    auto result = co_await cache.clear();
    cleared = std::move(result);
    body = {{"scope", "all"}};
  }
  const std::string what = scope.tenant ? "tenant " + *scope.tenant : scope.model ? "model " + *scope.model : "all";
  if (!cleared) {
    log_error("response cache clear (" + what + ") failed: " + cleared.error().detail);
    co_return error_answer(ErrorCode::kInternal, "The cache could not be cleared; see the gateway log.");
  }
  log_info("response cache cleared (" + what + ", " + std::to_string(*cleared) + " entries) by admin API request from " +
           peer);
  body["cleared"] = *cleared;
  co_return AdminAnswer{200, json::serialize(body)};
}

}  // namespace

bool is_cache_admin_path(std::string_view path) { return path == "/admin/cache"; }

net::awaitable<AdminAnswer> answer_cache_admin(SharedState& shared, std::string_view method, std::string_view target,
                                               const std::string& peer) {
  const bool get = method == "GET";
  const bool del = method == "DELETE";
  if (!get && !del) co_return error_answer(ErrorCode::kMethodNotAllowed, "Use GET or DELETE for /admin/cache.");
  if (!shared.cache) {
    if (get) co_return AdminAnswer{200, R"({"enabled":false})"};
    co_return error_answer(ErrorCode::kNotFound, "The response cache is not enabled ([cache] enabled = false).");
  }
  if (get) {
    auto stats = co_await shared.cache->stats();
    co_return AdminAnswer{200, json::serialize(stats_json(shared.config.cache, stats))};
  }
  co_return co_await clear_cache(shared, target, peer);
}

}  // namespace sovgw
