// AuditRecord: what the audit trail keeps about one request — who asked for which model, what the
// policy decided for each target and by which rule, which PII types were seen and how often, who
// answered and how it ended. Never prompt text, never PII values, never keys. canonical_json() is
// the one serialisation: its bytes are hashed into the chain (AuditLog) and written by export.
// Plain values; no threading concerns.
//
//   AuditRecord r;  r.request_id = "9f...";  r.targets.push_back({"openai", "US", false, "redact", "pii-abroad"});
//   std::string line = canonical_json(r);  // {"time":"2025-01-02T03:04:05.123456Z","request_id":...}
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sovgw::policy {

// The policy's verdict for one candidate target, in the order the targets were considered.
struct AuditTarget {
  std::string backend;
  std::string jurisdiction;  // ISO 3166-1 alpha-2 of the backend
  bool local = false;
  std::string action;  // "allow", "redact", "pseudonymize", "deny", "skipped"
  std::string rule;    // the rule that decided, or "default"
};

struct AuditPiiCount {
  std::string detector;  // "kr_rrn", "email", ...
  unsigned count = 0;
};

struct AuditRecord {
  std::chrono::system_clock::time_point time;  // when the request arrived (wall clock, UTC)
  std::string request_id;
  std::string tenant;
  std::string model;       // as the client asked for it
  std::string data_class;  // "public" | "internal" | "confidential" | "secret"
  std::vector<AuditTarget> targets;
  std::string policy_action;  // applied to the target that answered (or the denying one)
  std::string policy_rule;
  std::vector<AuditPiiCount> pii;
  std::string backend;     // the backend that answered, "" if none
  std::string outcome;     // "ok", a failure class, "policy_denied", "client_error", ...
  unsigned status = 0;     // HTTP status sent to the client
  std::string error_code;  // OpenAI error code sent, "" if none
  unsigned attempts = 0;   // upstream attempts made
  std::optional<std::uint64_t> input_tokens;   // as the answering backend reported them (either
  std::optional<std::uint64_t> output_tokens;  // protocol); null when it reported none
};

// Compact JSON with a fixed key order (the order of the fields above; targets and pii in their
// vector order). The same record always gives the same bytes.
std::string canonical_json(const AuditRecord& record);

// "2025-01-02T03:04:05.123456Z": UTC, microseconds.
std::string format_rfc3339(std::chrono::system_clock::time_point time);
// RFC 3339 date-time: "2025-01-02T03:04:05Z", with optional fraction (up to nanoseconds) and
// "Z" or a "+09:00"-style offset; 't'/'z' and a space for 'T' are accepted. nullopt if malformed.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace sovgw::policy
