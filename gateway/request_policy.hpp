// RequestPolicy: the policy stage of one proxied request. It scans the parsed body once, then,
// for each target the failover loop is about to try, asks the PolicyEngine what may leave for
// that target's jurisdiction and builds the body that target gets (unchanged, redacted or
// pseudonymised). Failover re-asks for every next target, so a restricted request can never fall
// through to a forbidden destination. It keeps the per-request pseudonym mapping used to restore
// the response, and the facts (PII types and counts, never values) for the audit record.
// One per request, on its worker thread.
//
//   RequestPolicy rp(engine, scanner, worker.scratch(), body, facts, max_scan_bytes);
//   auto verdict = rp.decide(backend);
//   if (verdict.action == policy::Action::kDeny) ...next target...
//   std::string out = rp.body_for(verdict, body, target.model);
#pragma once

#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "backends/backend_config.hpp"
#include "policy/policy_engine.hpp"
#include "policy/redaction.hpp"
#include "policy/request_scan.hpp"

namespace sovgw {

class RequestPolicy {
 public:
  RequestPolicy(const policy::PolicyEngine& engine, const policy::PiiScanner& scanner, policy::ScanScratch& scratch,
                const boost::json::value& body, policy::RequestFacts facts, std::size_t max_scan_bytes);

  policy::Decision decide(const backends::BackendConfig& backend) const;

  // True when `decision` sends placeholders instead of some values.
  static bool rewrites(const policy::Decision& decision) {
    return decision.action == policy::Action::kRedact || decision.action == policy::Action::kPseudonymize;
  }
  // The body for a target that may only see placeholders, with its model name.
  std::string redacted_body(const policy::Decision& decision, const boost::json::value& body,
                            const std::string& model);
  // The same, unserialised (for a target whose protocol needs it translated).
  boost::json::value redacted_value(const policy::Decision& decision, const boost::json::value& body,
                                    const std::string& model);
  // The body for a mid-stream continuation on a target: the request (redacted as the decision
  // says) plus the already delivered text as a final assistant message, itself redacted.
  // nullopt when the delivered text cannot be scanned (fail closed: do not send it).
  std::optional<boost::json::value> continuation_base(const policy::Decision& decision, const boost::json::value& body,
                                                      const std::string& delivered, std::string& delivered_out);

  // Text the client already received (a stream to be continued elsewhere) joins what the request
  // is known to contain, so the next target's decision accounts for it too.
  void add_output_text(std::string_view text);

  // The mapping a pseudonymised target's answer is restored with.
  const policy::RedactionMapping& mapping() const { return mapping_; }
  const policy::RequestFacts& facts() const { return facts_; }
  bool scan_failed() const { return scan_.failed(); }
  const std::string& scan_failure() const { return scan_.failure(); }

 private:
  const policy::PolicyEngine& engine_;
  const policy::PiiScanner& scanner_;
  policy::ScanScratch& scratch_;
  policy::RequestFacts facts_;
  policy::RequestScan scan_;
  policy::RedactionMapping mapping_;
  std::size_t output_scanned_ = 0;  // bytes of delivered text already added
};

// The client-facing message for a request no target may receive: the rule and the PII types,
// never the values.
std::string denial_message(const policy::Decision& decision, const std::string& model, bool scan_failed);

}  // namespace sovgw
