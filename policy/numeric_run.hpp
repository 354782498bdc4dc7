// Internal to policy/: the digit runs behind every numeric detector. A run is a maximal sequence
// of digit groups (ASCII or full-width digits) joined by single separators; the scanner splits
// it into groups once and checks each sub-span against the numeric detectors' shapes. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "policy/pii_detectors.hpp"
#include "policy/scan_scratch.hpp"

namespace sovgw::policy {

// Start and end of the run containing the digit that ends at byte `digit_end`.
Span numeric_run_around(std::string_view text, std::size_t digit_end);

// Splits the run starting at `begin` into groups (cleared first).
void split_numeric_run(std::string_view text, std::size_t begin, std::vector<RunGroup>& groups);

// Appends the group's digits, full-width ones folded to ASCII.
void append_digits(std::string_view text, const RunGroup& group, std::string& out);

}  // namespace sovgw::policy
