#include "gateway/config_loader_rules.hpp"

#include <array>
#include <utility>

#include "gateway/config_loader_values.hpp"

namespace sovgw {

using backends::FailureClass;
using config_reader::Need;
using config_reader::Range;
using config_reader::TableReader;

namespace {

constexpr std::array<std::pair<std::string_view, FailureClass>, 6> kClasses = {{
    {"client_error", FailureClass::kClientError},
    {"rate_limited", FailureClass::kRateLimited},
    {"overloaded", FailureClass::kOverloaded},
    {"server_error", FailureClass::kServerError},
    {"network", FailureClass::kNetwork},
    {"cut_off", FailureClass::kCutOff},
}};

bool is_reason(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

backends::FailureRule read_rule(TableReader& r) {
  backends::FailureRule rule;
  if (auto status = r.integer("status", Range{100, 599})) rule.status = static_cast<unsigned>(*status);
  if (auto field = r.string("json_field")) rule.json_field = *field;
  if (auto equals = r.string("equals")) rule.equals = *equals;
  if (auto contains = r.string("contains")) rule.contains = *contains;
  if (auto cls = r.string("class", Need::kRequired)) {
    bool known = false;
    for (const auto& [name, value] : kClasses) {
      if (*cls == name) {
        rule.cls = value;
        known = true;
      }
    }
    if (!known) {
      r.problem("class", "must be one of client_error, rate_limited, overloaded, server_error, network, cut_off",
                config_values::quote(*cls));
    }
  }
  if (auto reason = r.string("reason", Need::kRequired)) {
    if (is_reason(*reason)) {
      rule.reason = *reason;
    } else {
      r.problem("reason", "must be 1-64 characters of a-z, 0-9 and '_' (it becomes a metrics label)",
                config_values::quote(*reason));
    }
  }
  r.boolean("request_only", rule.request_only);
  r.report_unknown_keys();
  return rule;
}

}  // namespace

void read_failure_rules(TableReader& top, std::vector<backends::FailureRule>& out) {
  auto tables = top.tables("failure_rules", Need::kOptional);
  if (!tables) return;
  for (std::size_t i = 0; i < tables->size(); ++i) {
    if (!(*tables)[i]) continue;
    TableReader r(top.problems(), *(*tables)[i], "failure_rules[" + std::to_string(i) + "]");
    auto rule = read_rule(r);
    if (auto problem = backends::rule_problem(rule); !problem.empty() && !rule.reason.empty()) {
      r.problem(r.has("status") ? "status" : "class", problem);
    }
    out.push_back(std::move(rule));
  }
}

}  // namespace sovgw
