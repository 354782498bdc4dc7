// [policy], [[policy.rules]], [[policy.detectors]] and [[tenants]]: the egress policy and who the
// clients are. Part of the config loader (the only code that touches toml++); compiles the PII
// scanner so that a bad detector is a config problem, not a runtime surprise.
//
//   [policy]
//   default_action = "allow"
//   [[policy.rules]]
//   name = "national-ids-stay-home"
//   pii = ["kr_rrn", "credit_card"]
//   action = "restrict"
//   allowed = ["local", "domestic"]
#include "gateway/config_loader_policy.hpp"

#include <algorithm>
#include <mutex>
#include <set>

#include "gateway/config_loader_values.hpp"

namespace sovgw {

using config_reader::Need;
using config_reader::Range;
using config_reader::TableReader;
using config_values::quote;

namespace {

// Reports `value` as unknown among `known`, with a suggestion when one is close.
void unknown(TableReader& r, std::string_view key, std::string_view what, const std::string& value,
             const std::vector<std::string>& known) {
  std::string text = std::string(what) + " " + quote(value);
  if (auto near = config_values::nearest_name(value, known); !near.empty()) text += " (did you mean " + quote(near) + "?)";
  r.problem(key, text);
}

std::optional<policy::Destinations> read_destinations(TableReader& r, std::string_view key) {
  auto list = r.strings(key);
  if (!list) return std::nullopt;
  policy::Destinations d;
  for (const std::string& entry : *list) {
    if (entry == "local") {
      d.local = true;
    } else if (entry == "domestic") {
      d.domestic = true;
    } else if (entry == "foreign") {
      d.foreign = true;
    } else if (config_values::is_jurisdiction_code(entry)) {
      d.jurisdictions.push_back(entry);
    } else {
      r.problem(key, "entries must be \"local\", \"domestic\", \"foreign\" or an ISO 3166-1 alpha-2 code like \"KR\"",
                quote(entry));
      return std::nullopt;
    }
  }
  return d;
}

struct Names {
  std::vector<std::string> detectors;  // built-in (enabled) and custom
  std::vector<std::string> tenants;    // "default" and [[tenants]]
  std::vector<std::string> models;
};

policy::PolicyRule read_rule(TableReader& r, const Names& names) {
  policy::PolicyRule rule;
  if (auto name = r.string("name", Need::kRequired)) {
    if (name->empty()) r.problem("name", "must not be empty", "\"\"");
    rule.name = *name;
  }
  if (auto tenants = r.strings("tenants")) {
    for (const auto& t : *tenants) {
      if (std::find(names.tenants.begin(), names.tenants.end(), t) == names.tenants.end()) {
        unknown(r, "tenants", "no tenant named", t, names.tenants);
      }
    }
    rule.tenants = *tenants;
  }
  if (auto classes = r.strings("data_classes")) {
    for (const auto& c : *classes) {
      if (auto parsed = policy::parse_data_class(c)) {
        rule.data_classes.push_back(*parsed);
      } else {
        r.problem("data_classes", "entries must be public, internal, confidential or secret", quote(c));
      }
    }
  }
  if (auto models = r.strings("models")) {
    for (const auto& m : *models) {
      if (std::find(names.models.begin(), names.models.end(), m) == names.models.end()) {
        unknown(r, "models", "no model named", m, names.models);
      }
    }
    rule.models = *models;
  }
  if (auto pii = r.strings("pii")) {
    for (const auto& id : *pii) {
      if (id != "*" && std::find(names.detectors.begin(), names.detectors.end(), id) == names.detectors.end()) {
        unknown(r, "pii", "no enabled detector named", id, names.detectors);
      }
    }
    rule.pii = *pii;
  }
  if (auto d = read_destinations(r, "destinations")) rule.destinations = *d;
  if (auto action = r.string("action", Need::kRequired)) {
    if (auto parsed = policy::parse_rule_action(*action)) {
      rule.action = *parsed;
    } else {
      r.problem("action", "must be one of allow, block, redact, pseudonymize, restrict", quote(*action));
    }
  }
  const bool restrict = rule.action == policy::RuleAction::kRestrict;
  if (auto allowed = read_destinations(r, "allowed")) {
    if (!restrict) r.problem("allowed", "only applies to action = \"restrict\"");
    rule.allowed = *allowed;
  } else if (restrict && !r.has("allowed")) {
    r.problem("allowed", "is required with action = \"restrict\" (e.g. [\"local\", \"domestic\"])");
  }
  r.report_unknown_keys();
  return rule;
}

void read_custom_detectors(TableReader& p, PolicySettings& settings) {
  auto tables = p.tables("detectors", Need::kOptional);
  if (!tables) return;
  for (std::size_t i = 0; i < tables->size(); ++i) {
    if (!(*tables)[i]) continue;
    TableReader r(p.problems(), *(*tables)[i], p.path_of("detectors") + "[" + std::to_string(i) + "]");
    policy::CustomDetector d;
    if (auto name = r.string("name", Need::kRequired)) d.name = *name;
    if (auto regex = r.string("regex", Need::kRequired)) d.regex = *regex;
    if (auto validator = r.string("validator")) d.validator = *validator;
    if (auto words = r.strings("context")) d.context_words = *words;
    r.report_unknown_keys();
    // Each detector is compiled alone first so that a problem is reported at its own table.
    policy::PiiScannerConfig one;
    one.builtins = std::vector<std::string>{};
    one.custom.push_back(d);
    if (!d.name.empty() && !d.regex.empty()) {
      if (auto compiled = policy::PiiScanner::create(one); !compiled) {
        r.problem("regex", compiled.error().detail);
        continue;
      }
    }
    settings.custom.push_back(std::move(d));
  }
}

void read_policy_table(TableReader& p, const std::vector<std::string>& model_names,
                       const std::vector<TenantConfig>& tenants, PolicySettings& settings) {
  if (auto action = p.string("default_action")) {
    auto parsed = policy::parse_rule_action(*action);
    if (!parsed || *parsed == policy::RuleAction::kRestrict) {
      p.problem("default_action", "must be one of allow, block, redact, pseudonymize", quote(*action));
    } else {
      settings.engine.default_action = *parsed;
    }
  }
  if (auto c = p.string("default_data_class")) {
    if (auto parsed = policy::parse_data_class(*c)) {
      settings.engine.default_data_class = *parsed;
    } else {
      p.problem("default_data_class", "must be public, internal, confidential or secret", quote(*c));
    }
  }
  p.integer("max_scan_bytes", Range{1024, std::int64_t{1} << 32}, settings.max_scan_bytes);
  const auto builtin_ids = policy::builtin_detector_ids();
  if (auto enabled = p.strings("builtin_detectors")) {
    for (const auto& id : *enabled) {
      if (std::find(builtin_ids.begin(), builtin_ids.end(), id) == builtin_ids.end()) {
        unknown(p, "builtin_detectors", "no built-in detector named", id, builtin_ids);
      }
    }
    settings.builtins = *enabled;
  }
  read_custom_detectors(p, settings);

  Names names;
  names.detectors = settings.builtins.value_or(builtin_ids);
  for (const auto& d : settings.custom) names.detectors.push_back(d.name);
  names.tenants.push_back("default");
  for (const auto& t : tenants) names.tenants.push_back(t.name);
  names.models = model_names;
  auto rules = p.tables("rules", Need::kOptional);
  if (!rules) return;
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < rules->size(); ++i) {
    if (!(*rules)[i]) continue;
    TableReader r(p.problems(), *(*rules)[i], p.path_of("rules") + "[" + std::to_string(i) + "]");
    auto rule = read_rule(r, names);
    if (!rule.name.empty() && !seen.insert(rule.name).second) r.problem("name", "duplicate rule name", quote(rule.name));
    settings.engine.rules.push_back(std::move(rule));
  }
}

void read_tenants(TableReader& top, std::vector<TenantConfig>& out) {
  auto tables = top.tables("tenants", Need::kOptional);
  if (!tables) return;
  std::set<std::string, std::less<>> seen{"default"};
  for (std::size_t i = 0; i < tables->size(); ++i) {
    if (!(*tables)[i]) continue;
    TableReader r(top.problems(), *(*tables)[i], "tenants[" + std::to_string(i) + "]");
    TenantConfig t;
    if (auto name = r.string("name", Need::kRequired)) {
      if (!config_values::is_backend_name(*name)) {
        r.problem("name", "must be letters, digits, '.', '_' or '-' (it appears in metrics labels and logs)", quote(*name));
      } else if (!seen.insert(*name).second) {
        r.problem("name", *name == "default" ? "\"default\" is the anonymous tenant's name" : "duplicate tenant name",
                  quote(*name));
      }
      t.name = *name;
    }
    if (auto env = r.string("api_keys_env", Need::kRequired)) {
      if (!config_values::is_env_var_name(*env)) r.problem("api_keys_env", "must be an environment variable name", quote(*env));
      t.api_keys_env = *env;
    }
    if (auto c = r.string("default_data_class")) {
      if (auto parsed = policy::parse_data_class(*c)) {
        t.default_data_class = *parsed;
      } else {
        r.problem("default_data_class", "must be public, internal, confidential or secret", quote(*c));
      }
    }
    r.report_unknown_keys(/*secrets_hint=*/true);
    out.push_back(std::move(t));
  }
}

// Compiling every detector takes a good part of a second; loading the same detectors again
// (tests, `--check-config` then run) reuses the last database. Scanners are immutable.
Result<std::shared_ptr<const policy::PiiScanner>> compile_scanner(const policy::PiiScannerConfig& config) {
  std::string key = config.builtins ? "some:" : "all:";
  for (const auto& id : config.builtins.value_or(std::vector<std::string>{})) key += id + '\n';
  for (const auto& d : config.custom) {
    key += '\0' + d.name + '\n' + d.regex + '\n' + d.validator;
    for (const auto& w : d.context_words) key += '\n' + w;
  }
  static std::mutex mutex;
  static std::string last_key;
  static std::shared_ptr<const policy::PiiScanner> last;
  std::lock_guard lock(mutex);
  if (last && key == last_key) return last;
  auto made = policy::PiiScanner::create(config);
  if (!made) return made.error();
  last_key = std::move(key);
  last = *made;
  return last;
}

}  // namespace

void read_policy(TableReader& top, Config& config) {
  read_tenants(top, config.tenants);
  std::vector<std::string> model_names;
  for (const auto& m : config.models) model_names.push_back(m.name);
  const std::size_t problems_before = top.problems().size();
  std::optional<TableReader> policy_reader;
  if (auto* table = top.table("policy")) {
    policy_reader.emplace(top.problems(), *table, "policy");
    read_policy_table(*policy_reader, model_names, config.tenants, config.policy);
    policy_reader->report_unknown_keys();
  }
  if (top.problems().size() != problems_before) return;  // the scanner would only repeat them
  policy::PiiScannerConfig scanner_config;
  scanner_config.builtins = config.policy.builtins;
  scanner_config.custom = config.policy.custom;
  auto scanner = compile_scanner(scanner_config);
  if (!scanner) {
    top.problem("policy", "the PII scanner cannot be built: " + scanner.error().detail);
    return;
  }
  config.policy.scanner = std::move(*scanner);
}

}  // namespace sovgw
