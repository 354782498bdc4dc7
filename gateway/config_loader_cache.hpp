// Reading `[cache]` and the per-model `cache = true|false` for the config loader (the only code
// that touches toml++). Runs once at load, on one thread.
//
//   [cache]
//   enabled = true
//   path = "/var/lib/sovgw/cache"     # relative paths are relative to the config file
//   ttl_seconds = 3600
//   stale_if_error_seconds = 86400
//   max_bytes = 1073741824
#pragma once

#include <filesystem>
#include <optional>

#include "gateway/config.hpp"
#include "gateway/config_loader_reader.hpp"

namespace sovgw {

// Reads the top-level [cache] table, when present.
void read_cache_section(config_reader::TableReader& top, const std::filesystem::path& base_dir, CacheConfig& out);

// Reads `cache` in one [[models]] entry.
void read_model_cache(config_reader::TableReader& model, std::optional<bool>& out);

}  // namespace sovgw
