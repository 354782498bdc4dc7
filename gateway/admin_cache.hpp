// The admin API's /admin/cache: GET reports the response cache's size and counters; DELETE
// removes every entry, or one tenant's (?tenant=NAME), or one model's across tenants
// (?model=NAME), logged with the peer that asked. The RocksDB work runs on the cache's pool;
// the admin session (worker 0) awaits it. Without [cache] enabled: GET says so, DELETE is 404.
#pragma once

#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "gateway/worker.hpp"

namespace sovgw {

struct AdminAnswer {
  unsigned status = 200;
  std::string body;  // JSON
};

// True for /admin/cache (the path without its query).
bool is_cache_admin_path(std::string_view path);

// `target` is the request target with its query; `method` as sent ("GET", "DELETE", ...).
boost::asio::awaitable<AdminAnswer> answer_cache_admin(SharedState& shared, std::string_view method,
                                                       std::string_view target, const std::string& peer);

}  // namespace sovgw
