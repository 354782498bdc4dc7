// PolicyEngine: decides, for one request and one candidate target, whether the request may go
// there and in what form (unchanged, redacted, pseudonymised) or not at all. Rules are written by
// security teams ([[policy.rules]]), tried in order, first match wins; the default action applies
// when none matches. Sits in the request pipeline after the PII scan and before every upstream
// attempt (failover re-asks for each next target). Pure and immutable: shared by all threads.
//
//   PolicyEngine engine(policy_config, "KR");
//   RequestFacts facts{.tenant = "hr", .data_class = DataClass::kInternal, .model = "chat",
//                      .pii = {{"kr_rrn", 1}}};
//   Decision d = engine.decide(facts, TargetFacts{"openai", "US", false});
//   // d.action == Action::kDeny, d.rule == "national-ids-stay-home"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sovgw::policy {

enum class DataClass { kPublic, kInternal, kConfidential, kSecret };
std::string_view to_string(DataClass c);
std::optional<DataClass> parse_data_class(std::string_view text);

// What a rule does. kRestrict is allow-inside / deny-outside its allowed destinations.
enum class RuleAction { kAllow, kBlock, kRedact, kPseudonymize, kRestrict };
std::string_view to_string(RuleAction a);
std::optional<RuleAction> parse_rule_action(std::string_view text);

// What happens for one target.
enum class Action { kAllow, kRedact, kPseudonymize, kDeny };
std::string_view to_string(Action a);

// A set of destinations: "local" (on-premises), "domestic" (the home jurisdiction), "foreign"
// (neither), or explicit ISO 3166-1 alpha-2 codes.
struct Destinations {
  bool local = false;
  bool domestic = false;
  bool foreign = false;
  std::vector<std::string> jurisdictions;
  bool empty() const { return !local && !domestic && !foreign && jurisdictions.empty(); }
};

struct PolicyRule {
  std::string name;
  // Match: every non-empty list must contain the request's value ("any of").
  std::vector<std::string> tenants;
  std::vector<DataClass> data_classes;
  std::vector<std::string> models;
  std::vector<std::string> pii;  // detector ids; "*" = any PII at all
  Destinations destinations;     // the rule applies only to these targets (empty: every target)
  RuleAction action = RuleAction::kAllow;
  Destinations allowed;          // kRestrict: where the request may go
};

struct PolicyConfig {
  std::vector<PolicyRule> rules;
  RuleAction default_action = RuleAction::kAllow;  // allow, block, redact or pseudonymize
  DataClass default_data_class = DataClass::kInternal;
};

struct PiiCount {
  std::string detector;
  unsigned count = 0;
};

struct RequestFacts {
  std::string tenant = "default";
  DataClass data_class = DataClass::kInternal;
  std::string model;
  std::vector<PiiCount> pii;  // detected types and counts
  // The body could not be scanned (unparsable, scanner error, over the scan budget): for egress
  // purposes it contains every PII type, and nothing can be redacted.
  bool fail_closed = false;
};

struct TargetFacts {
  std::string backend;
  std::string jurisdiction;
  bool local = false;
};

struct Decision {
  Action action = Action::kAllow;
  std::string rule = "default";  // the rule that decided
  // kRedact / kPseudonymize: the detector ids to replace (empty with all_types: every finding).
  std::vector<std::string> redact_types;
  bool all_types = false;
  // kDeny: the PII types that made the rule match (for the 403 message; never values).
  std::vector<std::string> pii_types;
  // kDeny: the client's error code: "pii_egress_blocked" when PII decided, else "policy_denied".
  std::string_view code() const { return pii_types.empty() ? "policy_denied" : "pii_egress_blocked"; }
};

class PolicyEngine {
 public:
  // `detector_ids`: every enabled detector (what "every PII type" means when failing closed).
  PolicyEngine(PolicyConfig config, std::string home_jurisdiction, std::vector<std::string> detector_ids);

  Decision decide(const RequestFacts& request, const TargetFacts& target) const;

  const PolicyConfig& config() const { return config_; }
  bool in(const Destinations& d, const TargetFacts& target) const;

 private:
  bool matches(const PolicyRule& rule, const RequestFacts& request, const TargetFacts& target,
               std::vector<std::string>& pii_hit) const;

  PolicyConfig config_;
  std::string home_;
  std::vector<std::string> detector_ids_;
};

}  // namespace sovgw::policy
