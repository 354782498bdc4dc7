// Streaming placeholder restoration with a bounded hold-back.
#include "policy/stream_restorer.hpp"

namespace sovgw::policy {

std::string StreamRestorer::feed(std::string_view piece) {
  pending_.append(piece);
  // Only the last '[' can open an unfinished placeholder: any earlier one is followed by a '['
  // that is not a placeholder character. Hold back from it when what follows could still grow
  // into a placeholder of this mapping.
  std::size_t cut = pending_.size();
  const std::size_t max = mapping_.max_placeholder_size();
  const std::size_t open = pending_.rfind('[');
  if (max > 0 && open != std::string::npos && pending_.size() - open < max) {
    bool could_be = true;
    for (std::size_t i = open + 1; i < pending_.size() && could_be; ++i) could_be = placeholder_char(pending_[i]);
    if (could_be) cut = open;
  }
  std::string out = restore(std::string_view(pending_).substr(0, cut), mapping_);
  pending_.erase(0, cut);
  return out;
}

std::string StreamRestorer::finish() {
  std::string out = restore(pending_, mapping_);
  pending_.clear();
  return out;
}

}  // namespace sovgw::policy
