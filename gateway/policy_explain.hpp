// Policy explanation: what the data policy decides for one example request, target by target,
// with the same code the request pipeline runs (RequestPolicy), but without sending anything.
// Serves `POST /admin/policy/explain` and `sovgw policy test` (a security team's example
// requests with expected decisions, kept beside the policy like `opa test`). Pure; any thread
// with its own ScanScratch.
//
//   auto input = parse_explain_request(R"({"model":"gpt-4o","tenant":"hr","text":"..."})");
//   boost::json::object out = explain_policy(config, engine, scratch, *input);
//   // out["targets"][0] == {"backend":"openai","action":"deny","rule":"hr-on-premises-only",...}
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/result.hpp"
#include "gateway/config.hpp"
#include "policy/policy_engine.hpp"
#include "policy/scan_scratch.hpp"

namespace sovgw {

struct ExplainRequest {
  std::string tenant = "default";
  std::optional<policy::DataClass> data_class;  // else the tenant's, else the policy's default
  boost::json::value body;                      // the request body as a client would send it
};

// {"model", "tenant", "data_class", "text" | "body" | "messages"}: "text" is shorthand for one
// user message; "body" is a whole request object; otherwise the object itself is the body.
Result<ExplainRequest> parse_explain_request(std::string_view json_text);

// The facts the policy sees for a request: tenant, data class (declared, else the tenant's
// default, else the policy's), model.
policy::RequestFacts request_facts(const Config& config, const TenantConfig* tenant, std::string_view model,
                                   std::optional<policy::DataClass> declared);

// {"model","tenant","data_class","pii":[{"detector","count"}],"fail_closed",
//  "targets":[{"backend","jurisdiction","local","action","rule"}], "outcome":"allow"|"deny",
//  "first_target": name or null, "code": "pii_egress_blocked"|"policy_denied" (deny only)}.
// An unknown model or tenant is an Error (kModelNotFound / kInvalidRequest).
Result<boost::json::object> explain_policy(const Config& config, const policy::PolicyEngine& engine,
                                           policy::ScanScratch& scratch, const ExplainRequest& request);

}  // namespace sovgw
