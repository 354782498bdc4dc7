// `sovgw policy test --config FILE CASES.toml`: a security team's example requests, each with the
// decision it expects, checked against the policy in FILE (like `opa test`). Prints each case's
// decision and deciding rule; exit 0 when every case matches, 1 on any mismatch, 2 when the
// config or the cases file is invalid. The cases file (read by config_loader_cases.cpp):
//
//   [[cases]]
//   name = "resident registration numbers never go abroad"
//   model = "gpt-4o"
//   tenant = "retail-banking"        # optional, default "default"
//   data_class = "internal"          # optional
//   text = "주민번호 900101-1234568"  # one user message; or body = '''{ ...request JSON... }'''
//   expect = "allow"                 # some target may receive it ("deny": none)
//   expect_first_target = "domestic" # optional: the first target it may go to
//   expect_targets = { openai = "deny", domestic = "allow" }   # optional, per backend
//   expect_rule = "national-ids-and-secrets-stay-home"          # optional, the first target's rule
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/config.hpp"

namespace sovgw {

struct PolicyCase {
  std::string name;
  std::string request_json;  // what parse_explain_request takes
  std::string expect;        // "allow" | "deny"
  std::optional<std::string> expect_first_target;
  std::optional<std::string> expect_rule;
  std::map<std::string, std::string> expect_targets;  // backend -> action
  std::uint32_t line = 0;
};

struct PolicyCasesLoad {
  std::vector<PolicyCase> cases;
  std::vector<ConfigProblem> problems;  // `file:line: key.path: what`
};

// Reads and checks CASES.toml against `config` (backends named in expect_targets must exist).
PolicyCasesLoad load_policy_cases(const std::string& path, const Config& config);

int run_policy_test_command(const Config& config, const std::string& cases_path);

}  // namespace sovgw
