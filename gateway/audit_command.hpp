// `sovgw audit verify --config FILE` and `sovgw audit export --config FILE [--since TIME]`: check
// the audit trail's hash chain, or write its records as JSON lines on stdout. Both open the store
// read-only, so they work while the gateway runs (they see the store as of their start).
// Exit status: 0 ok, 4 the chain is broken (verify), 2 invalid config, no [audit] or bad --since,
// 1 the store cannot be read.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "gateway/config.hpp"

namespace sovgw {

int run_audit_verify(const Config& config);
// `since`: RFC 3339 ("2025-01-02T03:04:05Z", "...+09:00") or Unix seconds; nullopt = everything.
int run_audit_export(const Config& config, std::optional<std::string_view> since);

// --since as a time point; nullopt when it is neither form.
std::optional<std::chrono::system_clock::time_point> parse_since(std::string_view text);

}  // namespace sovgw
