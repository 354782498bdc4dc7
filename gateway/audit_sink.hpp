// The gateway's side of the audit trail: turns the per-request RequestRecord into the policy
// library's AuditRecord (names, counts and verdicts only; RequestRecord never holds prompt text or
// PII values) and hands it to the process's AuditLog. Called once per request, at its end, on the
// request's worker thread; never blocks (AuditLog::append only queues).
//
//   audit_request(worker.shared(), rec);           // after the response, on every path
//   if (!audit_accepting(shared)) { answer 503 }   // before serving, to fail closed
#pragma once

#include "gateway/request_record.hpp"
#include "gateway/worker.hpp"
#include "policy/audit_record.hpp"

namespace sovgw {

policy::AuditRecord to_audit_record(const RequestRecord& record);

// Appends `record` to shared.audit when the audit trail is on; false when it is on and refused the
// record (queue full: already counted and logged by the AuditLog).
bool audit_request(SharedState& shared, const RequestRecord& record);

// False when the audit trail is on but cannot take records right now (queue full or the store
// refuses writes). A request started now might go unrecorded.
bool audit_accepting(const SharedState& shared);

}  // namespace sovgw
