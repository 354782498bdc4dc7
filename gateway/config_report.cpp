// GET /admin/config: the effective configuration (file values plus defaults) as JSON. Secrets are
// never in the config (only the names of the environment variables that hold them); the report
// says whether each such variable was set, never its value. Pure; any thread.
#include "gateway/config_report.hpp"

#include <boost/json.hpp>

namespace sovgw {

namespace json = boost::json;

namespace {

json::array strings(const std::vector<std::string>& list) {
  json::array out;
  for (const auto& s : list) out.push_back(json::value(s));
  return out;
}

json::array destinations(const policy::Destinations& d) {
  json::array out;
  if (d.local) out.push_back("local");
  if (d.domestic) out.push_back("domestic");
  if (d.foreign) out.push_back("foreign");
  for (const auto& j : d.jurisdictions) out.push_back(json::value(j));
  return out;
}

std::string_view continuation_name(backends::Continuation c) {
  switch (c) {
    case backends::Continuation::kNone: return "none";
    case backends::Continuation::kPrefill: return "prefill";
    case backends::Continuation::kVllm: return "vllm";
  }
  return "none";
}

json::object gateway_json(const GatewayConfig& g) {
  return {{"listen", g.listen.text},
          {"workers", g.workers},
          {"home_jurisdiction", g.home_jurisdiction},
          {"max_connections", g.max_connections},
          {"max_header_bytes", g.max_header_bytes},
          {"max_body_bytes", g.max_body_bytes},
          {"header_timeout_ms", g.header_timeout_ms},
          {"body_timeout_ms", g.body_timeout_ms},
          {"idle_timeout_ms", g.idle_timeout_ms},
          {"request_timeout_ms", g.request_timeout_ms},
          {"max_response_bytes", g.max_response_bytes},
          {"drain_timeout_ms", g.drain_timeout_ms},
          {"sovereign_mode", g.sovereign_mode},
          {"auto_sovereign_mode", g.auto_sovereign_mode}};
}

json::object backend_json(const backends::BackendConfig& b, bool key_set) {
  return {{"name", b.name},
          {"protocol", b.protocol == backends::Protocol::kAnthropic ? "anthropic" : "openai"},
          {"anthropic_version", b.protocol == backends::Protocol::kAnthropic ? json::value(b.anthropic_version) : json::value(nullptr)},
          {"base_url", b.base_url},
          {"api_key_env", b.api_key_env},
          {"api_key_set", key_set},
          {"jurisdiction", b.jurisdiction},
          {"local", b.local},
          {"ca_file", b.ca_file},
          {"continuation", continuation_name(b.continuation)},
          {"connect_timeout_ms", b.connect_timeout_ms},
          {"first_byte_timeout_ms", b.first_byte_timeout_ms},
          {"stream_first_byte_timeout_ms", b.stream_first_byte_timeout_ms},
          {"stream_idle_timeout_ms", b.stream_idle_timeout_ms},
          {"total_timeout_ms", b.total_timeout_ms},
          {"time_to_first_token_ms", b.time_to_first_token_ms},
          {"failure_threshold", b.failure_threshold},
          {"base_ejection_ms", b.base_ejection_ms},
          {"max_ejection_ms", b.max_ejection_ms},
          {"health_check", b.health_check},
          {"health_check_path", b.health_check_path},
          {"health_check_interval_ms", b.health_check_interval_ms},
          {"health_check_timeout_ms", b.health_check_timeout_ms},
          {"max_connections", b.max_connections},
          {"max_idle_connections", b.max_idle_connections},
          {"idle_connection_timeout_ms", b.idle_connection_timeout_ms}};
}

json::object policy_json(const PolicySettings& p) {
  json::array rules;
  for (const auto& r : p.engine.rules) {
    json::array classes;
    for (auto c : r.data_classes) classes.push_back(json::value(policy::to_string(c)));
    json::object rule{{"name", r.name},           {"tenants", strings(r.tenants)}, {"data_classes", std::move(classes)},
                      {"models", strings(r.models)}, {"pii", strings(r.pii)},
                      {"destinations", destinations(r.destinations)}, {"action", policy::to_string(r.action)}};
    if (r.action == policy::RuleAction::kRestrict) rule["allowed"] = destinations(r.allowed);
    rules.push_back(std::move(rule));
  }
  json::array custom;
  for (const auto& d : p.custom) {
    custom.push_back(json::object{{"name", d.name}, {"regex", d.regex}, {"validator", d.validator},
                                  {"context", strings(d.context_words)}});
  }
  return {{"default_action", policy::to_string(p.engine.default_action)},
          {"default_data_class", policy::to_string(p.engine.default_data_class)},
          {"max_scan_bytes", p.max_scan_bytes},
          {"detectors", p.scanner ? strings(p.scanner->detector_ids()) : json::array{}},
          {"custom_detectors", std::move(custom)},
          {"rules", std::move(rules)}};
}

}  // namespace

std::string effective_config_json(const Config& config, const std::vector<std::string>& backend_keys,
                                  const std::vector<std::size_t>& tenant_key_counts) {
  json::array backends;
  for (std::size_t i = 0; i < config.backends.size(); ++i) {
    backends.push_back(backend_json(config.backends[i], i < backend_keys.size() && !backend_keys[i].empty()));
  }
  json::array models;
  for (const auto& m : config.models) {
    json::array targets;
    for (const auto& t : m.targets) targets.push_back(json::object{{"backend", t.backend}, {"model", t.model}});
    json::object model{{"name", m.name}, {"targets", std::move(targets)},
                       {"fallback_on_client_error", m.fallback_on_client_error},
                       {"default_max_tokens", m.default_max_tokens}};
    model["cache"] = m.cache ? json::value(*m.cache) : json::value(nullptr);
    models.push_back(std::move(model));
  }
  json::array rules;
  for (const auto& r : config.failure_rules) {
    json::object rule{{"json_field", r.json_field}, {"equals", r.equals}, {"contains", r.contains},
                      {"class", backends::to_string(r.cls)}, {"reason", r.reason}, {"request_only", r.request_only}};
    rule["status"] = r.status ? json::value(*r.status) : json::value(nullptr);
    rules.push_back(std::move(rule));
  }
  json::array tenants;
  for (std::size_t i = 0; i < config.tenants.size(); ++i) {
    const auto& t = config.tenants[i];
    json::object tenant{{"name", t.name}, {"api_keys_env", t.api_keys_env},
                        {"api_keys_loaded", i < tenant_key_counts.size() ? tenant_key_counts[i] : 0}};
    tenant["default_data_class"] =
        t.default_data_class ? json::value(policy::to_string(*t.default_data_class)) : json::value(nullptr);
    tenants.push_back(std::move(tenant));
  }
  json::object root{
      {"source", config.source_path},
      {"gateway", gateway_json(config.gateway)},
      {"admin", json::object{{"listen", config.admin.listen.text}, {"token_env", config.admin.token_env},
                             {"metrics_require_token", config.admin.metrics_require_token}}},
      {"access_log", json::object{{"enabled", config.access_log.enabled}, {"path", config.access_log.path}}},
      {"backends", std::move(backends)},
      {"models", std::move(models)},
      {"failure_rules", std::move(rules)},
      {"tenants", std::move(tenants)},
      {"policy", policy_json(config.policy)},
      {"audit", json::object{{"path", config.audit.path}, {"sync", config.audit.sync},
                             {"queue_capacity", config.audit.queue_capacity}}},
      {"cache", json::object{{"enabled", config.cache.enabled}, {"path", config.cache.path},
                             {"ttl_seconds", config.cache.ttl_seconds},
                             {"stale_if_error_seconds", config.cache.stale_if_error_seconds},
                             {"max_bytes", config.cache.max_bytes}}},
  };
  return json::serialize(root);
}

}  // namespace sovgw
