#include "policy/policy_engine.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace sovgw::policy {

namespace {

constexpr std::array<std::pair<std::string_view, DataClass>, 4> kDataClasses = {{
    {"public", DataClass::kPublic},
    {"internal", DataClass::kInternal},
    {"confidential", DataClass::kConfidential},
    {"secret", DataClass::kSecret},
}};

constexpr std::array<std::pair<std::string_view, RuleAction>, 5> kRuleActions = {{
    {"allow", RuleAction::kAllow},
    {"block", RuleAction::kBlock},
    {"redact", RuleAction::kRedact},
    {"pseudonymize", RuleAction::kPseudonymize},
    {"restrict", RuleAction::kRestrict},
}};

template <typename T>
bool listed(const std::vector<T>& list, const T& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

std::string_view to_string(DataClass c) {
  for (const auto& [name, value] : kDataClasses) {
    if (value == c) return name;
  }
  return "internal";
}

std::optional<DataClass> parse_data_class(std::string_view text) {
  for (const auto& [name, value] : kDataClasses) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view to_string(RuleAction a) {
  for (const auto& [name, value] : kRuleActions) {
    if (value == a) return name;
  }
  return "allow";
}

std::optional<RuleAction> parse_rule_action(std::string_view text) {
  for (const auto& [name, value] : kRuleActions) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::string_view to_string(Action a) {
  switch (a) {
    case Action::kAllow: return "allow";
    case Action::kRedact: return "redact";
    case Action::kPseudonymize: return "pseudonymize";
    case Action::kDeny: return "deny";
  }
  return "deny";
}

PolicyEngine::PolicyEngine(PolicyConfig config, std::string home_jurisdiction, std::vector<std::string> detector_ids)
    : config_(std::move(config)), home_(std::move(home_jurisdiction)), detector_ids_(std::move(detector_ids)) {}

bool PolicyEngine::in(const Destinations& d, const TargetFacts& target) const {
  if (d.local && target.local) return true;
  if (d.domestic && target.jurisdiction == home_) return true;
  if (d.foreign && !target.local && target.jurisdiction != home_) return true;
  return std::find(d.jurisdictions.begin(), d.jurisdictions.end(), target.jurisdiction) != d.jurisdictions.end();
}

// `pii_hit` receives the PII types that made a pii-matching rule match.
bool PolicyEngine::matches(const PolicyRule& rule, const RequestFacts& request, const TargetFacts& target,
                           std::vector<std::string>& pii_hit) const {
  pii_hit.clear();
  if (!listed(rule.tenants, request.tenant) || !listed(rule.data_classes, request.data_class) ||
      !listed(rule.models, request.model)) {
    return false;
  }
  if (!rule.destinations.empty() && !in(rule.destinations, target)) return false;
  if (rule.pii.empty()) return true;
  const bool any = std::find(rule.pii.begin(), rule.pii.end(), "*") != rule.pii.end();
  if (request.fail_closed) {
    // Unscannable: it may contain anything the rule names.
    if (any) {
      pii_hit = detector_ids_;
    } else {
      for (const auto& id : rule.pii) pii_hit.push_back(id);
    }
    return true;
  }
  for (const PiiCount& found : request.pii) {
    if (found.count > 0 && (any || listed(rule.pii, found.detector))) pii_hit.push_back(found.detector);
  }
  return !pii_hit.empty();
}

Decision PolicyEngine::decide(const RequestFacts& request, const TargetFacts& target) const {
  Decision decision;
  std::vector<std::string> pii_hit;
  const PolicyRule* rule = nullptr;
  for (const PolicyRule& candidate : config_.rules) {
    if (matches(candidate, request, target, pii_hit)) {
      rule = &candidate;
      break;
    }
  }
  RuleAction action = config_.default_action;
  if (rule) {
    decision.rule = rule->name;
    action = rule->action;
  }
  switch (action) {
    case RuleAction::kAllow: decision.action = Action::kAllow; break;
    case RuleAction::kBlock: decision.action = Action::kDeny; break;
    case RuleAction::kRestrict:
      decision.action = in(rule ? rule->allowed : Destinations{}, target) ? Action::kAllow : Action::kDeny;
      break;
    case RuleAction::kRedact:
    case RuleAction::kPseudonymize:
      decision.action = action == RuleAction::kRedact ? Action::kRedact : Action::kPseudonymize;
      if (request.fail_closed) {
        decision.action = Action::kDeny;  // nothing can be redacted from what could not be read
        break;
      }
      if (!rule || rule->pii.empty() ||
          std::find(rule->pii.begin(), rule->pii.end(), "*") != rule->pii.end()) {
        decision.all_types = true;
      } else {
        decision.redact_types = rule->pii;
      }
      break;
  }
  if (decision.action == Action::kDeny) decision.pii_types = std::move(pii_hit);
  return decision;
}

}  // namespace sovgw::policy
