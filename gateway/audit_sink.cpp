#include "gateway/audit_sink.hpp"

#include "policy/audit_log.hpp"

namespace sovgw {

policy::AuditRecord to_audit_record(const RequestRecord& record) {
  policy::AuditRecord out;
  out.time = record.start_time;
  out.request_id = record.request_id;
  out.tenant = record.tenant;
  out.model = record.model;
  out.data_class = record.data_class;
  out.targets.reserve(record.targets.size());
  for (const auto& t : record.targets) {
    out.targets.push_back(policy::AuditTarget{t.backend, t.jurisdiction, t.local, t.action, t.rule});
  }
  out.policy_action = record.policy_action;
  out.policy_rule = record.policy_rule;
  out.pii.reserve(record.pii.size());
  for (const auto& p : record.pii) out.pii.push_back(policy::AuditPiiCount{p.detector, p.count});
  out.backend = record.backend;
  out.outcome = record.outcome;
  out.status = record.status;
  out.error_code = record.error_code;
  out.attempts = static_cast<unsigned>(record.attempts.size());
  out.input_tokens = record.input_tokens;
  out.output_tokens = record.output_tokens;
  return out;
}

bool audit_request(SharedState& shared, const RequestRecord& record) {
  if (!shared.audit) return true;
  return shared.audit->append(to_audit_record(record));
}

bool audit_accepting(const SharedState& shared) { return !shared.audit || shared.audit->healthy(); }

}  // namespace sovgw
