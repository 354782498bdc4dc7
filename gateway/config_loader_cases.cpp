// The `sovgw policy test` cases file (policy_command.hpp describes it). Part of the config loader
// family: the only other code that touches toml++; every problem is reported at once.
#include <cerrno>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "gateway/config_loader_reader.hpp"
#include "gateway/config_loader_values.hpp"
#include "gateway/policy_command.hpp"

namespace sovgw {

using config_reader::Need;
using config_reader::ProblemList;
using config_reader::TableReader;
using config_values::quote;

namespace {

bool is_action(std::string_view a) { return a == "allow" || a == "redact" || a == "pseudonymize" || a == "deny"; }

PolicyCase read_case(TableReader& r, const Config& config) {
  PolicyCase c;
  c.line = r.line_of("name");
  if (auto name = r.string("name", Need::kRequired)) c.name = *name;
  boost::json::object request;
  if (auto model = r.string("model", Need::kRequired)) {
    if (!config.find_model(*model)) r.problem("model", "no model named " + quote(*model) + " in the config");
    request["model"] = *model;
  }
  if (auto tenant = r.string("tenant")) request["tenant"] = *tenant;
  if (auto data_class = r.string("data_class")) {
    if (!policy::parse_data_class(*data_class)) {
      r.problem("data_class", "must be public, internal, confidential or secret", quote(*data_class));
    }
    request["data_class"] = *data_class;
  }
  auto text = r.string("text");
  auto body = r.string("body");
  if (text && body) r.problem("body", "give either text or body, not both");
  if (!text && !body) r.problem("text", "one of text or body is required");
  if (text) request["text"] = *text;
  if (body) {
    boost::json::error_code ec;
    auto parsed = boost::json::parse(*body, ec);
    if (ec || !parsed.is_object()) {
      r.problem("body", "must be a JSON object (a request body)");
    } else {
      request["body"] = std::move(parsed);
    }
  }
  c.request_json = boost::json::serialize(request);
  if (auto expect = r.string("expect", Need::kRequired)) {
    if (*expect != "allow" && *expect != "deny") r.problem("expect", "must be \"allow\" or \"deny\"", quote(*expect));
    c.expect = *expect;
  }
  c.expect_first_target = r.string("expect_first_target");
  c.expect_rule = r.string("expect_rule");
  if (auto* targets = r.table("expect_targets")) {
    TableReader t(r.problems(), *targets, r.path_of("expect_targets"));
    for (const auto& [key, node] : *targets) {
      const std::string backend(key.str());
      bool known = false;
      for (const auto& b : config.backends) known = known || b.name == backend;
      if (!known) t.problem(backend, "no backend named " + quote(backend) + " in the config");
      auto action = t.string(backend);
      if (action && !is_action(*action)) {
        t.problem(backend, "must be allow, redact, pseudonymize or deny", quote(*action));
      } else if (action) {
        c.expect_targets[backend] = *action;
      }
    }
  }
  r.report_unknown_keys();
  return c;
}

}  // namespace

PolicyCasesLoad load_policy_cases(const std::string& path, const Config& config) {
  PolicyCasesLoad out;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    out.problems.push_back(path + ": cannot read file: " + std::generic_category().message(errno));
    return out;
  }
  std::stringstream text;
  text << file.rdbuf();
  ProblemList problems(path);
  toml::table root;
  try {
    root = toml::parse(text.str(), std::string_view(path));
  } catch (const toml::parse_error& e) {
    problems.add_line(e.source().begin.line, "syntax error: " + std::string(e.description()));
    out.problems = problems.take_sorted();
    return out;
  }
  TableReader top(problems, root, "");
  if (auto tables = top.tables("cases", Need::kRequired)) {
    for (std::size_t i = 0; i < tables->size(); ++i) {
      if (!(*tables)[i]) continue;
      TableReader r(problems, *(*tables)[i], "cases[" + std::to_string(i) + "]");
      out.cases.push_back(read_case(r, config));
    }
  }
  top.report_unknown_keys();
  out.problems = problems.take_sorted();
  return out;
}

}  // namespace sovgw
