// RequestScan: the PII scan of one parsed JSON request body (OpenAI or Anthropic shape), and the
// redacted or pseudonymised bodies made from it for targets that may only see placeholders.
// Every string value that would leave is scanned after JSON decoding (\uXXXX escapes included):
// message contents in string and array-of-parts form, system prompts, tool call arguments, tool
// results, prompt/input. Object keys are not scanned, nor values that are pure protocol (model,
// role, type, ids, finish reasons) or inline binary (data: URLs of images). Fail closed: a scanner
// error or a body over the scan budget marks the scan failed; the policy then treats the body as
// containing every PII type. One per request, on its worker thread.
//
//   RequestScan scan(body_json, scanner, scratch, 8 << 20);
//   scan.counts();                              // {{"kr_rrn", 1}, {"email", 2}}
//   RedactionMapping mapping;
//   boost::json::value out = scan.redacted(body_json, {"email"}, false, mapping);
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "policy/pii_scanner.hpp"
#include "policy/policy_engine.hpp"
#include "policy/redaction.hpp"

namespace sovgw::policy {

class RequestScan {
 public:
  // Scans `body`. `max_bytes`: the scan budget (text bytes); beyond it the scan fails closed.
  RequestScan(const boost::json::value& body, const PiiScanner& scanner, ScanScratch& scratch, std::size_t max_bytes);

  bool failed() const { return failed_; }
  const std::string& failure() const { return failure_; }  // why it failed (no text from the body)
  // Detected types with counts, in first-seen order.
  const std::vector<PiiCount>& counts() const { return counts_; }
  bool has_findings() const { return !texts_.empty(); }

  // `body` (the same value that was scanned, or a copy differing only in protocol fields such as
  // "model") with every finding whose detector is in `types` (every finding when `all_types`)
  // replaced by its placeholder from `mapping`.
  boost::json::value redacted(const boost::json::value& body, const std::vector<std::string>& types, bool all_types,
                              RedactionMapping& mapping) const;

  // Redacts one free text the same way (e.g. the already delivered part of a stream that must
  // be continued elsewhere), scanning it first. False when the scan failed (fail closed).
  static bool redact_text(std::string_view text, const PiiScanner& scanner, ScanScratch& scratch,
                          const std::vector<std::string>& types, bool all_types, RedactionMapping& mapping,
                          std::string& out, std::vector<PiiCount>* counts = nullptr);

 private:
  struct Text {
    std::size_t index = 0;  // position of the string in the walk order
    std::vector<PiiFinding> findings;
  };
  std::vector<Text> texts_;  // only strings with findings
  std::vector<PiiCount> counts_;
  bool failed_ = false;
  std::string failure_;
};

// Adds `detector` to `counts` (first-seen order).
void add_count(std::vector<PiiCount>& counts, std::string_view detector, unsigned n = 1);

}  // namespace sovgw::policy
