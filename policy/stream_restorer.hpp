// StreamRestorer: restores placeholders in a response that arrives in pieces (SSE deltas). It
// holds back only a tail that could still become a placeholder ('[' plus at most
// max_placeholder_size()-1 placeholder characters), never the whole stream, so a placeholder
// split across pieces is restored and everything else passes through at once. One per stream;
// not thread-safe. The mapping must outlive the restorer.
//
//   StreamRestorer r(mapping);
//   send(r.feed("Your number is [KR_"));   // "Your number is "
//   send(r.feed("RRN_1]."));               // "900101-1234568."
//   send(r.finish());                      // whatever was still held back
#pragma once

#include <string>
#include <string_view>

#include "policy/redaction.hpp"

namespace sovgw::policy {

class StreamRestorer {
 public:
  explicit StreamRestorer(const RedactionMapping& mapping) : mapping_(mapping) {}

  // Returns the restored text that is safe to emit now.
  std::string feed(std::string_view piece);
  // End of stream: returns the held-back tail (restored if it completes a placeholder).
  std::string finish();

  std::size_t held_back() const { return pending_.size(); }

 private:
  const RedactionMapping& mapping_;
  std::string pending_;
};

}  // namespace sovgw::policy
