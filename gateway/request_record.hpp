// RequestRecord: what happened to one client request, filled in by the Pipeline as the request
// moves through its stages and handed, exactly once and on every path, to the consumers that
// report it (metrics, the access log, the audit trail). It holds no prompt text, no PII values
// and no key material: only names, counts, classes and durations. One per request, on the
// request's worker thread; consumers copy what they keep.
//
//   RequestRecord rec;  rec.model = "chat";  rec.status = 200;  ...
//   metrics.observe(rec);  access_log.write(rec);  audit.append(rec);
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sovgw {

// The policy's verdict for one candidate target.
struct TargetDecision {
  std::string backend;
  std::string jurisdiction;  // the backend's, e.g. "KR", "US"
  bool local = false;
  std::string action;  // "allow", "redact", "pseudonymize", "deny", or "skipped" (health/sovereign)
  std::string rule;    // name of the rule that decided, or "default"
};

// One upstream attempt and how it was classified.
struct AttemptRecord {
  std::string backend;
  std::string cls;     // FailureClass text: "ok", "network", "cut_off", ...
  std::string reason;  // the classifier's fixed reason
};

// Moving from one backend to the next within the request.
struct FailoverRecord {
  std::string from;
  std::string to;
  std::string reason;  // the failure class that caused it
};

struct PiiCount {
  std::string detector;  // "kr_rrn", "email", ...
  unsigned count = 0;
};

struct RequestRecord {
  std::chrono::system_clock::time_point start_time;  // wall clock, for logs and audit
  std::chrono::steady_clock::time_point start;       // for durations
  std::string request_id;
  std::string tenant = "default";
  std::string api;         // "chat", "completions", "embeddings", "messages", "models", "other"
  std::string model;       // the model the client asked for ("" when unknown or not parsed)
  bool model_known = false;  // model is a configured [[models]] name (safe as a metrics label)
  std::string data_class;  // "public" | "internal" | "confidential" | "secret"
  bool stream = false;

  unsigned status = 0;      // HTTP status sent to the client (200 for a stream that began)
  std::string error_code;   // OpenAI error code sent, if any ("pii_egress_blocked", ...)
  std::string backend;      // the backend that answered, "" if none
  std::string outcome;      // "ok", a failure class, "policy_denied", "client_error", "stream_error"
  std::vector<AttemptRecord> attempts;
  std::vector<FailoverRecord> failovers;

  std::uint64_t bytes_in = 0;   // request body bytes from the client
  std::uint64_t bytes_out = 0;  // response body bytes to the client
  std::optional<std::uint64_t> input_tokens;   // as the answering backend reported them
  std::optional<std::uint64_t> output_tokens;

  std::chrono::nanoseconds duration{0};        // whole request, first byte in to last byte out
  std::chrono::nanoseconds upstream_duration{0};  // summed time waiting on upstream attempts
  std::optional<std::chrono::nanoseconds> time_to_first_token;  // streams: to first content sent

  std::string cache_result = "bypass";  // "hit" | "miss" | "stale" | "bypass"

  std::string policy_action = "allow";  // strongest action applied to the target that answered
  std::string policy_rule = "default";
  std::vector<PiiCount> pii;            // detected types and counts, never values
  std::vector<TargetDecision> targets;  // every target considered, in order
};

}  // namespace sovgw
