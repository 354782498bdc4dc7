// The [policy] section and [[tenants]] of the config loader (config_loader_policy.cpp). Runs
// after [[models]] are read: rules refer to model names.
#pragma once

#include "gateway/config.hpp"
#include "gateway/config_loader_reader.hpp"

namespace sovgw {

void read_policy(config_reader::TableReader& top, Config& config);

}  // namespace sovgw
