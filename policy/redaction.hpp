// Redaction of scanner findings into typed placeholders ("[KR_RRN_1]") and the reverse.
// Used by the request policy stage (redact before a target sees the text) and on the response
// path (restore the original values). A RedactionMapping belongs to one request: equal values
// of one type get the same placeholder across all texts redacted with it. Not thread-safe.
//
//   auto r = redact("call 010-1234-5678", findings);        // r.text == "call [KR_PHONE_1]"
//   std::string back = restore(r.text, r.mapping);          // the original again
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/pii_scanner.hpp"

namespace sovgw::policy {

class RedactionMapping {
 public:
  struct Entry {
    std::string placeholder;  // "[KR_RRN_1]"
    std::string original;     // the exact original bytes
  };

  // The placeholder for `value` found by `detector`, creating "[<DETECTOR>_<n>]" on first use.
  const std::string& placeholder_for(std::string_view detector, std::string_view value);

  // The original value behind a placeholder, or nullptr if the placeholder is not ours.
  const std::string* original_of(std::string_view placeholder) const;

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  // Longest placeholder handed out; bounds what a streaming restorer holds back.
  std::size_t max_placeholder_size() const { return max_placeholder_; }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> by_value_;        // detector + '\0' + value -> entry
  std::unordered_map<std::string, std::size_t> by_placeholder_;  // placeholder -> entry
  std::unordered_map<std::string, unsigned> counters_;           // detector -> last number used
  std::size_t max_placeholder_ = 0;
};

struct Redacted {
  std::string text;
  RedactionMapping mapping;
};

// Replaces each finding (sorted, non-overlapping, as PiiScanner::scan returns them) by its
// placeholder. The second form extends an existing mapping (several messages of one request).
Redacted redact(std::string_view text, std::span<const PiiFinding> findings);
std::string redact(std::string_view text, std::span<const PiiFinding> findings, RedactionMapping& mapping);

// Replaces every placeholder of `mapping` in `text` by its original; other text is untouched.
// `json_escape`: `text` is serialised JSON (a whole response body), so each original is written
// escaped as inside a JSON string (placeholders themselves never need escaping).
std::string restore(std::string_view text, const RedactionMapping& mapping, bool json_escape = false);

// Placeholder grammar shared with the streaming restorer: '[' [A-Z0-9_]+ '_' [0-9]+ ']'.
bool placeholder_char(char c);

}  // namespace sovgw::policy
