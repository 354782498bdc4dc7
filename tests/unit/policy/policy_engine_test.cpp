// The policy engine as a table: request facts × target → action and deciding rule.
#include "policy/policy_engine.hpp"

#include <doctest/doctest.h>

namespace sovgw::policy {
namespace {

const TargetFacts kForeign{"openai", "US", false};
const TargetFacts kDomestic{"clova", "KR", false};
const TargetFacts kLocal{"vllm", "KR", true};
const TargetFacts kJapan{"plamo", "JP", false};

Destinations dest(bool local, bool domestic, bool foreign, std::vector<std::string> codes = {}) {
  Destinations d;
  d.local = local;
  d.domestic = domestic;
  d.foreign = foreign;
  d.jurisdictions = std::move(codes);
  return d;
}

// The default policy of config.example.toml, in code.
PolicyEngine korean_default() {
  PolicyConfig config;
  PolicyRule ids;
  ids.name = "ids-stay-home";
  ids.pii = {"kr_rrn", "credit_card", "jp_my_number"};
  ids.action = RuleAction::kRestrict;
  ids.allowed = dest(true, true, false);
  PolicyRule hr;
  hr.name = "hr-local-only";
  hr.tenants = {"hr"};
  hr.action = RuleAction::kRestrict;
  hr.allowed = dest(true, false, false);
  PolicyRule confidential;
  confidential.name = "confidential-home";
  confidential.data_classes = {DataClass::kConfidential, DataClass::kSecret};
  confidential.action = RuleAction::kRestrict;
  confidential.allowed = dest(true, true, false);
  PolicyRule contact;
  contact.name = "contact-pseudonymised";
  contact.pii = {"email", "kr_phone"};
  contact.destinations = dest(false, false, true);
  contact.action = RuleAction::kPseudonymize;
  config.rules = {ids, hr, confidential, contact};
  return PolicyEngine(config, "KR", {"kr_rrn", "credit_card", "jp_my_number", "email", "kr_phone"});
}

RequestFacts facts(std::vector<PiiCount> pii, std::string tenant = "default",
                   DataClass data_class = DataClass::kInternal) {
  RequestFacts f;
  f.tenant = std::move(tenant);
  f.data_class = data_class;
  f.model = "chat";
  f.pii = std::move(pii);
  return f;
}

}  // namespace

TEST_CASE("decisions of the Korean default policy, per target") {
  const PolicyEngine engine = korean_default();
  struct Row {
    const char* what;
    RequestFacts request;
    TargetFacts target;
    Action action;
    const char* rule;
  };
  const Row rows[] = {
      {"no PII goes anywhere", facts({}), kForeign, Action::kAllow, "default"},
      {"RRN never abroad", facts({{"kr_rrn", 1}}), kForeign, Action::kDeny, "ids-stay-home"},
      {"RRN to a domestic provider", facts({{"kr_rrn", 1}}), kDomestic, Action::kAllow, "ids-stay-home"},
      {"RRN on premises", facts({{"kr_rrn", 2}}), kLocal, Action::kAllow, "ids-stay-home"},
      {"card number to Japan is foreign", facts({{"credit_card", 1}}), kJapan, Action::kDeny, "ids-stay-home"},
      {"e-mail abroad is pseudonymised", facts({{"email", 1}}), kForeign, Action::kPseudonymize,
       "contact-pseudonymised"},
      {"e-mail at home goes as is", facts({{"email", 1}}), kDomestic, Action::kAllow, "default"},
      {"RRN beats e-mail (first match)", facts({{"email", 1}, {"kr_rrn", 1}}), kForeign, Action::kDeny,
       "ids-stay-home"},
      {"hr tenant, no PII, domestic", facts({}, "hr"), kDomestic, Action::kDeny, "hr-local-only"},
      {"hr tenant on premises", facts({}, "hr"), kLocal, Action::kAllow, "hr-local-only"},
      {"confidential abroad", facts({}, "default", DataClass::kConfidential), kForeign, Action::kDeny,
       "confidential-home"},
      {"secret at a domestic provider", facts({}, "default", DataClass::kSecret), kDomestic, Action::kAllow,
       "confidential-home"},
      {"public with a zero count is no PII", facts({{"kr_rrn", 0}}, "default", DataClass::kPublic), kForeign,
       Action::kAllow, "default"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.what);
    const Decision d = engine.decide(row.request, row.target);
    CHECK(d.action == row.action);
    CHECK(d.rule == row.rule);
  }
}

TEST_CASE("a denial names the PII types that decided and picks the client error code") {
  const PolicyEngine engine = korean_default();
  Decision d = engine.decide(facts({{"kr_rrn", 1}, {"email", 3}}), kForeign);
  CHECK(d.action == Action::kDeny);
  CHECK(d.pii_types == std::vector<std::string>{"kr_rrn"});
  CHECK(d.code() == "pii_egress_blocked");
  d = engine.decide(facts({}, "hr"), kForeign);
  CHECK(d.pii_types.empty());
  CHECK(d.code() == "policy_denied");
}

TEST_CASE("pseudonymize replaces only the rule's types; a rule without types replaces all") {
  const PolicyEngine engine = korean_default();
  Decision d = engine.decide(facts({{"email", 1}}), kForeign);
  CHECK(d.action == Action::kPseudonymize);
  CHECK_FALSE(d.all_types);
  CHECK(d.redact_types == std::vector<std::string>{"email", "kr_phone"});

  PolicyConfig config;
  PolicyRule all;
  all.name = "redact-everything-abroad";
  all.pii = {"*"};
  all.destinations = dest(false, false, true);
  all.action = RuleAction::kRedact;
  config.rules = {all};
  const PolicyEngine redactor(config, "KR", {"email"});
  d = redactor.decide(facts({{"email", 1}}), kForeign);
  CHECK(d.action == Action::kRedact);
  CHECK(d.all_types);
  CHECK(redactor.decide(facts({}), kForeign).action == Action::kAllow);
}

TEST_CASE("fail closed: an unscannable request counts as containing every PII type") {
  const PolicyEngine engine = korean_default();
  RequestFacts unreadable = facts({});
  unreadable.fail_closed = true;
  CHECK(engine.decide(unreadable, kForeign).action == Action::kDeny);
  CHECK(engine.decide(unreadable, kForeign).rule == "ids-stay-home");
  CHECK(engine.decide(unreadable, kLocal).action == Action::kAllow);

  // Nothing can be redacted from what could not be read: redaction becomes denial.
  PolicyConfig config;
  config.default_action = RuleAction::kRedact;
  const PolicyEngine redactor(config, "KR", {"email"});
  CHECK(redactor.decide(unreadable, kForeign).action == Action::kDeny);
  CHECK(redactor.decide(facts({{"email", 1}}), kForeign).action == Action::kRedact);
}

TEST_CASE("explicit jurisdictions, models and the block action") {
  PolicyConfig config;
  PolicyRule japan;
  japan.name = "jp-ok";
  japan.pii = {"jp_my_number"};
  japan.action = RuleAction::kRestrict;
  japan.allowed = dest(false, false, false, {"JP"});
  PolicyRule model_block;
  model_block.name = "no-experimental-model";
  model_block.models = {"experimental"};
  model_block.action = RuleAction::kBlock;
  config.rules = {japan, model_block};
  const PolicyEngine engine(config, "KR", {"jp_my_number"});
  CHECK(engine.decide(facts({{"jp_my_number", 1}}), kJapan).action == Action::kAllow);
  CHECK(engine.decide(facts({{"jp_my_number", 1}}), kDomestic).action == Action::kDeny);
  RequestFacts experimental = facts({});
  experimental.model = "experimental";
  CHECK(engine.decide(experimental, kLocal).action == Action::kDeny);
  CHECK(engine.decide(experimental, kLocal).code() == "policy_denied");
}

TEST_CASE("data class names round-trip") {
  for (auto c : {DataClass::kPublic, DataClass::kInternal, DataClass::kConfidential, DataClass::kSecret}) {
    CHECK(parse_data_class(to_string(c)) == c);
  }
  CHECK_FALSE(parse_data_class("Confidential").has_value());
  CHECK(parse_rule_action("pseudonymize") == RuleAction::kPseudonymize);
  CHECK_FALSE(parse_rule_action("pseudonymise").has_value());
}

}  // namespace sovgw::policy
