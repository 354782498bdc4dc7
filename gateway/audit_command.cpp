#include "gateway/audit_command.hpp"

#include <charconv>
#include <cstdio>
#include <iostream>

#include "policy/audit_reader.hpp"
#include "policy/audit_record.hpp"

namespace sovgw {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUnreadable = 1;
constexpr int kExitInvalid = 2;
constexpr int kExitBroken = 4;

// The reader, or nullptr after saying why (exit code in `code`).
std::unique_ptr<policy::AuditReader> open_reader(const Config& config, int& code) {
  if (!config.audit.enabled()) {
    std::fprintf(stderr, "%s: no [audit] table: the audit trail is off\n", config.source_path.c_str());
    code = kExitInvalid;
    return nullptr;
  }
  auto reader = policy::AuditReader::open(config.audit.path);
  if (!reader) {
    std::fprintf(stderr, "%s\n", reader.error().detail.c_str());
    code = kExitUnreadable;
    return nullptr;
  }
  return std::move(*reader);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_since(std::string_view text) {
  long long seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
  }
  return policy::parse_rfc3339(text);
}

int run_audit_verify(const Config& config) {
  int code = kExitOk;
  auto reader = open_reader(config, code);
  if (!reader) return code;
  const auto report = reader->verify();
  std::printf("audit store: %s\n", config.audit.path.c_str());
  if (report.ok()) {
    std::printf("OK: %llu records verified\n", static_cast<unsigned long long>(report.records_checked));
  } else {
    std::printf("BROKEN at record %llu (%s): %s\n", static_cast<unsigned long long>(report.broken_seq),
                policy::problem_name(report.problem), report.detail.c_str());
    std::printf("%llu records verified before it\n", static_cast<unsigned long long>(report.records_checked));
  }
  if (!report.head_hash.empty()) {
    // Deleting the tail and rewriting the head leaves a chain consistent in itself; only a copy of
    // this line kept elsewhere shows it.
    std::printf("head: seq %llu hash %s (keep a copy elsewhere to detect a rewritten tail)\n",
                static_cast<unsigned long long>(report.head_seq), report.head_hash.c_str());
  }
  return report.ok() ? kExitOk : kExitBroken;
}

int run_audit_export(const Config& config, std::optional<std::string_view> since_text) {
  std::optional<std::chrono::system_clock::time_point> since;
  if (since_text) {
    since = parse_since(*since_text);
    if (!since) {
      std::fprintf(stderr, "audit export: --since must be an RFC 3339 time (2025-01-02T03:04:05Z) or Unix seconds "
                   "(got \"%.*s\")\n", static_cast<int>(since_text->size()), since_text->data());
      return kExitInvalid;
    }
  }
  int code = kExitOk;
  auto reader = open_reader(config, code);
  if (!reader) return code;
  std::ios::sync_with_stdio(false);
  auto written = reader->export_jsonl(since, std::cout);
  std::cout.flush();
  if (!written) {
    std::fprintf(stderr, "audit export: %s\n", written.error().detail.c_str());
    return kExitUnreadable;
  }
  std::fprintf(stderr, "audit export: %llu records\n", static_cast<unsigned long long>(*written));
  return kExitOk;
}

}  // namespace sovgw
