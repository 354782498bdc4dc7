#include "gateway/policy_explain.hpp"

#include <boost/json.hpp>

#include "gateway/request_policy.hpp"

namespace sovgw {

namespace json = boost::json;

namespace {

Error bad(std::string detail) { return make_error(ErrorCode::kInvalidRequest, ErrorSource::kDownstream, false, std::move(detail)); }

}  // namespace

Result<ExplainRequest> parse_explain_request(std::string_view json_text) {
  json::error_code ec;
  json::value value = json::parse(json_text, ec);
  if (ec || !value.is_object()) return bad("The body must be a JSON object.");
  json::object& o = value.as_object();
  ExplainRequest out;
  if (auto* tenant = o.if_contains("tenant")) {
    if (!tenant->is_string()) return bad("\"tenant\" must be a string.");
    out.tenant = std::string(tenant->as_string());
  }
  if (auto* c = o.if_contains("data_class")) {
    const auto parsed = c->is_string() ? policy::parse_data_class(c->as_string()) : std::nullopt;
    if (!parsed) return bad("\"data_class\" must be public, internal, confidential or secret.");
    out.data_class = parsed;
  }
  const json::value* model = o.if_contains("model");
  if (!model || !model->is_string()) return bad("\"model\" (a string) is required.");
  if (auto* text = o.if_contains("text")) {
    if (!text->is_string()) return bad("\"text\" must be a string.");
    out.body = json::object{{"model", *model},
                            {"messages", json::array{json::object{{"role", "user"}, {"content", *text}}}}};
  } else if (auto* body = o.if_contains("body")) {
    if (!body->is_object()) return bad("\"body\" must be a request object.");
    out.body = *body;
    out.body.as_object()["model"] = *model;
  } else {
    out.body = o;
    out.body.as_object().erase("tenant");
    out.body.as_object().erase("data_class");
  }
  return out;
}

policy::RequestFacts request_facts(const Config& config, const TenantConfig* tenant, std::string_view model,
                                   std::optional<policy::DataClass> declared) {
  policy::RequestFacts facts;
  facts.tenant = tenant ? tenant->name : "default";
  facts.model = std::string(model);
  facts.data_class = declared ? *declared
                     : tenant && tenant->default_data_class ? *tenant->default_data_class
                                                            : config.policy.engine.default_data_class;
  return facts;
}

Result<json::object> explain_policy(const Config& config, const policy::PolicyEngine& engine,
                                    policy::ScanScratch& scratch, const ExplainRequest& request) {
  const std::string model_name(request.body.as_object().at("model").as_string());
  const ModelConfig* model = config.find_model(model_name);
  if (!model) {
    return make_error(ErrorCode::kModelNotFound, ErrorSource::kDownstream, false,
                      "The model `" + model_name + "` is not configured.");
  }
  const TenantConfig* tenant = nullptr;
  for (const auto& t : config.tenants) {
    if (t.name == request.tenant) tenant = &t;
  }
  if (!tenant && request.tenant != "default") return bad("No tenant named \"" + request.tenant + "\".");

  RequestPolicy rp(engine, *config.policy.scanner, scratch, request.body,
                   request_facts(config, tenant, model_name, request.data_class), config.policy.max_scan_bytes);
  const policy::RequestFacts& facts = rp.facts();
  json::array pii;
  for (const auto& c : facts.pii) pii.push_back(json::object{{"detector", c.detector}, {"count", c.count}});
  json::array targets;
  std::optional<policy::Decision> first_denial;
  json::value first_target = nullptr;
  for (const TargetConfig& target : model->targets) {
    const auto& backend = config.backends[target.backend_index];
    const policy::Decision d = rp.decide(backend);
    json::object t{{"backend", backend.name},
                   {"jurisdiction", backend.jurisdiction},
                   {"local", backend.local},
                   {"action", policy::to_string(d.action)},
                   {"rule", d.rule}};
    if (RequestPolicy::rewrites(d)) {
      json::array types;
      for (const auto& type : d.redact_types) types.push_back(json::value(type));
      t["redacts"] = d.all_types ? json::value("*") : json::value(std::move(types));
    }
    targets.push_back(std::move(t));
    if (d.action == policy::Action::kDeny) {
      if (!first_denial) first_denial = d;
    } else if (first_target.is_null()) {
      first_target = json::value(backend.name);
    }
  }
  json::object out{{"model", model_name},
                   {"tenant", facts.tenant},
                   {"data_class", policy::to_string(facts.data_class)},
                   {"pii", std::move(pii)},
                   {"fail_closed", facts.fail_closed},
                   {"targets", std::move(targets)},
                   {"outcome", first_target.is_null() ? "deny" : "allow"},
                   {"first_target", first_target}};
  if (first_target.is_null() && first_denial) {
    out["code"] = first_denial->code();
    out["message"] = denial_message(*first_denial, model_name, rp.scan_failed());
  }
  return out;
}

}  // namespace sovgw
