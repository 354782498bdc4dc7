#include "gateway/request_policy.hpp"

#include <boost/json.hpp>

namespace sovgw {

namespace json = boost::json;

namespace {

policy::RequestFacts with_scan(policy::RequestFacts facts, const policy::RequestScan& scan) {
  facts.pii = scan.counts();
  facts.fail_closed = scan.failed();
  return facts;
}

}  // namespace

RequestPolicy::RequestPolicy(const policy::PolicyEngine& engine, const policy::PiiScanner& scanner,
                             policy::ScanScratch& scratch, const json::value& body, policy::RequestFacts facts,
                             std::size_t max_scan_bytes)
    : engine_(engine),
      scanner_(scanner),
      scratch_(scratch),
      scan_(body, scanner, scratch, max_scan_bytes) {
  facts_ = with_scan(std::move(facts), scan_);
}

policy::Decision RequestPolicy::decide(const backends::BackendConfig& backend) const {
  return engine_.decide(facts_, policy::TargetFacts{backend.name, backend.jurisdiction, backend.local});
}

std::string RequestPolicy::redacted_body(const policy::Decision& decision, const json::value& body,
                                         const std::string& model) {
  return json::serialize(redacted_value(decision, body, model));
}

json::value RequestPolicy::redacted_value(const policy::Decision& decision, const json::value& body,
                                          const std::string& model) {
  json::value out = scan_.redacted(body, decision.redact_types, decision.all_types, mapping_);
  if (out.is_object()) out.as_object()["model"] = model;
  return out;
}

std::optional<json::value> RequestPolicy::continuation_base(const policy::Decision& decision, const json::value& body,
                                                            const std::string& delivered, std::string& delivered_out) {
  if (!rewrites(decision)) {
    delivered_out = delivered;
    return body;
  }
  if (!policy::RequestScan::redact_text(delivered, scanner_, scratch_, decision.redact_types, decision.all_types,
                                        mapping_, delivered_out)) {
    return std::nullopt;
  }
  return scan_.redacted(body, decision.redact_types, decision.all_types, mapping_);
}

void RequestPolicy::add_output_text(std::string_view text) {
  if (text.size() <= output_scanned_) return;
  // Rescan the whole delivered text: a value may straddle the previous end.
  std::vector<policy::PiiFinding> findings;
  if (!scanner_.scan(text, scratch_, findings)) {
    facts_.fail_closed = true;
    return;
  }
  std::vector<policy::PiiCount> seen;
  for (const auto& f : findings) policy::add_count(seen, f.detector);
  for (const auto& c : seen) {
    bool known = false;
    for (auto& mine : facts_.pii) known = known || mine.detector == c.detector;
    if (!known) facts_.pii.push_back(c);
  }
  output_scanned_ = text.size();
}

std::string denial_message(const policy::Decision& decision, const std::string& model, bool scan_failed) {
  std::string message = "The data policy does not allow this request to be sent to any target of model `" + model +
                        "` (rule \"" + decision.rule + "\"";
  if (scan_failed) {
    message += "; the request could not be scanned for personal data, so it is treated as containing every type";
  } else if (!decision.pii_types.empty()) {
    message += "; personal data found:";
    for (std::size_t i = 0; i < decision.pii_types.size(); ++i) {
      message += (i ? ", " : " ") + decision.pii_types[i];
    }
  }
  return message + ").";
}

}  // namespace sovgw
