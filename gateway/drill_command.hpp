// `sovgw drill --config FILE [--json]`: "if every foreign provider vanished now, which models would
// keep serving, and from where?" Asks the running gateway (its admin listener, GET /admin/drill)
// for the answer from live backend states; when no gateway answers, computes it from the config
// alone with every backend assumed healthy, and says so. Touches no provider.
// Exit status: 0 every model keeps serving, 3 some would stop, 2 invalid config.
#pragma once

#include "gateway/config.hpp"

namespace sovgw {

int run_drill_command(const Config& config, bool json_output);

}  // namespace sovgw
