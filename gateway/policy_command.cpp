#include "gateway/policy_command.hpp"

#include <cstdio>
#include <iostream>

#include <boost/json.hpp>

#include "gateway/policy_explain.hpp"

namespace sovgw {

namespace json = boost::json;

namespace {

std::string text_of(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string("-"); }

// The mismatches between what `c` expects and `out`, one per line ("" when it passes).
std::string mismatches(const PolicyCase& c, const json::object& out) {
  std::string wrong;
  auto add = [&](const std::string& what, const std::string& expected, const std::string& got) {
    wrong += "      " + what + ": expected " + expected + ", got " + got + "\n";
  };
  if (text_of(out.at("outcome")) != c.expect) add("outcome", c.expect, text_of(out.at("outcome")));
  if (c.expect_first_target && text_of(out.at("first_target")) != *c.expect_first_target) {
    add("first target", *c.expect_first_target, text_of(out.at("first_target")));
  }
  const auto& targets = out.at("targets").as_array();
  if (c.expect_rule) {
    const std::string rule = targets.empty() ? "-" : text_of(targets[0].at("rule"));
    if (rule != *c.expect_rule) add("rule", *c.expect_rule, rule);
  }
  for (const auto& [backend, action] : c.expect_targets) {
    std::string got = "(not a target of this model)";
    for (const auto& t : targets) {
      if (text_of(t.at("backend")) == backend) got = text_of(t.at("action"));
    }
    if (got != action) add("action at " + backend, action, got);
  }
  return wrong;
}

}  // namespace

int run_policy_test_command(const Config& config, const std::string& cases_path) {
  auto load = load_policy_cases(cases_path, config);
  for (const auto& p : load.problems) std::cerr << p << '\n';
  if (!load.problems.empty()) return 2;
  policy::PolicyEngine engine(config.policy.engine, config.gateway.home_jurisdiction,
                              config.policy.scanner->detector_ids());
  policy::ScanScratch scratch;
  int failed = 0;
  for (const PolicyCase& c : load.cases) {
    auto input = parse_explain_request(c.request_json);
    Result<json::object> out = input ? explain_policy(config, engine, scratch, *input) : Result<json::object>(input.error());
    if (!out) {
      std::printf("ERROR %s (line %u): %s\n", c.name.c_str(), c.line, out.error().detail.c_str());
      ++failed;
      continue;
    }
    const std::string wrong = mismatches(c, *out);
    std::string line;
    for (const auto& t : out->at("targets").as_array()) {
      line += (line.empty() ? "" : ", ") + text_of(t.at("backend")) + "=" + text_of(t.at("action")) + " (" +
              text_of(t.at("rule")) + ")";
    }
    std::string pii;
    for (const auto& p : out->at("pii").as_array()) {
      pii += (pii.empty() ? "" : ",") + text_of(p.at("detector"));
    }
    std::printf("%s %s\n      %s; pii: %s\n%s", wrong.empty() ? "PASS" : "FAIL", c.name.c_str(), line.c_str(),
                pii.empty() ? "none" : pii.c_str(), wrong.c_str());
    if (!wrong.empty()) ++failed;
  }
  std::printf("%zu cases, %zu passed, %d failed\n", load.cases.size(), load.cases.size() - failed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace sovgw
