// See config_loader_cache.hpp.
#include "gateway/config_loader_cache.hpp"

#include <string>
#include <system_error>

#include "gateway/config_loader_values.hpp"

namespace sovgw {

using config_reader::Need;
using config_reader::Range;
using config_reader::TableReader;
using config_values::quote;

namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kYearSeconds = 365LL * 24 * 60 * 60;
constexpr Range kTtlSeconds{1, kYearSeconds};
constexpr Range kStaleSeconds{0, kYearSeconds};  // 0 = never serve stale answers
// 16 MiB .. 1 TiB: below 16 MiB the memtables alone would overrun the cap.
constexpr Range kCacheBytes{16LL * 1024 * 1024, 1LL << 40};

void read_path(TableReader& r, const fs::path& base_dir, bool required, std::string& out) {
  auto value = r.string("path", required ? Need::kRequired : Need::kOptional);
  if (!value) return;
  if (value->empty()) {
    r.problem("path", "must not be empty", "\"\"");
    return;
  }
  std::error_code ec;
  fs::path path = fs::absolute(base_dir / fs::path(*value), ec).lexically_normal();
  if (ec) path = (base_dir / fs::path(*value)).lexically_normal();
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    r.problem("path", "exists and is not a directory (" + quote(path.string()) + ")", quote(*value));
    return;
  }
  out = path.string();
}

}  // namespace

void read_cache_section(TableReader& top, const fs::path& base_dir, CacheConfig& out) {
  const toml::table* table = top.table("cache");
  if (!table) return;
  TableReader r(top.problems(), *table, "cache");
  r.boolean("enabled", out.enabled);
  read_path(r, base_dir, out.enabled, out.path);
  r.integer("ttl_seconds", kTtlSeconds, out.ttl_seconds);
  r.integer("stale_if_error_seconds", kStaleSeconds, out.stale_if_error_seconds);
  r.integer("max_bytes", kCacheBytes, out.max_bytes);
  if (out.stale_if_error_seconds != 0 && out.stale_if_error_seconds < out.ttl_seconds) {
    r.problem("stale_if_error_seconds",
              "must be 0 or at least ttl_seconds, " + std::to_string(out.ttl_seconds) +
                  " (an answer is served stale only after it stops being fresh)",
              std::to_string(out.stale_if_error_seconds));
  }
  r.report_unknown_keys();
}

void read_model_cache(TableReader& model, std::optional<bool>& out) {
  if (!model.has("cache")) return;
  bool value = false;
  model.boolean("cache", value);
  out = value;
}

}  // namespace sovgw
