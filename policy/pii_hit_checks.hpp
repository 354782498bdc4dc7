// Internal to policy/: the byte-level checks the scanner runs around each Hyperscan hit (edge
// rules Hyperscan cannot express without look-around, context words, PEM block ends). Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "policy/pii_detectors.hpp"

namespace sovgw::policy {

bool boundary_ok(Boundary b, std::string_view text, std::size_t begin, std::size_t end);
// The two halves of Boundary::kDigits: the sub-spans of one digit run share their starts and ends.
bool digits_start_ok(std::string_view text, std::size_t begin);
bool digits_end_ok(std::string_view text, std::size_t end);

// True when one of `words` (already lower-case) occurs in the hit or within kContextWindow bytes
// of it,
// ASCII letters compared case-insensitively.
inline constexpr std::size_t kContextWindow = 96;
bool context_ok(const std::vector<std::string>& words, std::string_view text, std::size_t begin, std::size_t end);

// End of the PEM block whose BEGIN line ends at `from`; the end of the text when it has no END
// line (a truncated key is still key material).
std::size_t pem_block_end(std::string_view text, std::size_t from);

}  // namespace sovgw::policy
