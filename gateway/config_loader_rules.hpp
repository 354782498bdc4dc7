// Reading `[[failure_rules]]`: the operator's own failure signatures, checked before the table that
// ships with sovgw (providers change their wording; operators must not wait for a release).
//
//   [[failure_rules]]
//   status = 403
//   json_field = "error.code"
//   equals = "unsupported_country_region_territory"
//   class = "cut_off"
//   reason = "region_block"
#pragma once

#include <vector>

#include "backends/failure_classifier.hpp"
#include "gateway/config_loader_reader.hpp"

namespace sovgw {

void read_failure_rules(config_reader::TableReader& top, std::vector<backends::FailureRule>& out);

}  // namespace sovgw
