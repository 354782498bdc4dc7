// Internal to policy/: the digit runs behind every numeric detector. A run is a maximal sequence
// of digit groups (ASCII or full-width digits) joined by single separators; the scanner finds
// the runs itself (a vectorised byte search for digits, not a Hyperscan pattern that would report
// every digit past the ninth), splits each run into groups once and checks its sub-spans against
// the numeric detectors' shapes. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "policy/pii_detectors.hpp"
#include "policy/scan_scratch.hpp"

namespace sovgw::policy {

// Start of the first digit (ASCII or full-width) at or after byte `from`; text.size() if none.
std::size_t next_digit(std::string_view text, std::size_t from);

// Splits the run starting at `begin` into groups (cleared first) and returns its digits,
// full-width ones folded to ASCII, held in `buffer`. The run ends at groups.back().end.
std::string_view split_numeric_run(std::string_view text, std::size_t begin, std::vector<RunGroup>& groups,
                                   std::string& buffer);

}  // namespace sovgw::policy
