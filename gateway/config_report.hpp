// The effective configuration as JSON, for GET /admin/config: every value the gateway runs with
// (defaults included). Secrets never appear: the config holds only the names of the environment
// variables that carry them, and the report adds whether each was set. Pure; any thread.
//
//   std::string body = effective_config_json(config, shared.api_keys, tenant_key_counts);
#pragma once

#include <string>
#include <vector>

#include "gateway/config.hpp"

namespace sovgw {

// `backend_keys`: each backend's API key as loaded (only emptiness is reported);
// `tenant_key_counts`: how many gateway API keys each tenant's variable held.
std::string effective_config_json(const Config& config, const std::vector<std::string>& backend_keys,
                                  const std::vector<std::size_t>& tenant_key_counts);

}  // namespace sovgw
