// Config: the parsed, validated, immutable configuration. Built once by load_config()
// (config_loader.cpp, the only code that touches toml++), then shared read-only by every thread.
//
//   auto cfg = sovgw::load_config_file("sovgw.toml");
//   if (!cfg) { for (auto& p : cfg.problems) std::cerr << p << '\n'; return 2; }
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/backend_config.hpp"
#include "backends/failure_classifier.hpp"
#include "policy/pii_scanner.hpp"
#include "policy/policy_engine.hpp"

namespace sovgw {

struct ListenAddress {
  std::string host;        // "127.0.0.1", "0.0.0.0", "::1" (no brackets)
  std::uint16_t port = 0;  // 0 = any free port (tests read the bound port back)
  std::string text;        // as written
};

struct GatewayConfig {
  ListenAddress listen{"127.0.0.1", 8080, "127.0.0.1:8080"};
  std::uint32_t workers = 0;              // 0 = one per core
  std::string home_jurisdiction = "KR";   // what counts as domestic
  std::uint32_t max_connections = 10000;  // client connections open at once, all workers together
  std::uint32_t max_header_bytes = 16384; // request line + headers; over it: 431
  std::uint64_t max_body_bytes = 16777216;  // request body; over it: 413
  std::uint32_t header_timeout_ms = 10000;  // to receive a whole request header: 408
  std::uint32_t body_timeout_ms = 60000;    // to receive a whole request body: 408
  std::uint32_t idle_timeout_ms = 60000;    // keep-alive connection with no request in flight
  std::uint32_t request_timeout_ms = 600000;  // one client request, all attempts together
  std::uint64_t max_response_bytes = 67108864;  // non-stream upstream body we buffer; over it: 502
  std::uint32_t drain_timeout_ms = 15000;   // on SIGTERM: how long in-flight requests may finish
  bool sovereign_mode = false;       // start with all foreign egress cut (local/domestic targets only)
  bool auto_sovereign_mode = false;  // enter sovereign mode when every foreign backend is cut off
};

struct AdminConfig {
  ListenAddress listen{"127.0.0.1", 9901, "127.0.0.1:9901"};
  // Environment variable holding the admin API's bearer token; "" = no token (loopback only).
  std::string token_env;
  bool metrics_require_token = false;  // GET /metrics needs the token too (health probes never do)
};

struct AccessLogConfig {
  bool enabled = true;
  std::string path = "-";  // "" or "-" = stderr; else a file, appended to (relative: to the config file)
};

struct TargetConfig {
  std::string backend;  // a BackendConfig::name
  std::string model;    // model name sent to that backend
  std::size_t backend_index = 0;  // resolved at load time
};

struct ModelConfig {
  std::string name;  // what clients send as "model"
  std::vector<TargetConfig> targets;
  // Try the next target when a backend rejects the request itself (e.g. context length exceeded
  // and the next target has a larger context). Off: the provider's answer goes to the client.
  bool fallback_on_client_error = false;
  // max_tokens sent to an Anthropic-protocol target when the client gave none (Anthropic requires it).
  std::uint32_t default_max_tokens = 4096;
  // cache = true: answers are cacheable whatever the temperature; false: never cached;
  // unset: cached only when deterministic (see cache/cache_decision.hpp).
  std::optional<bool> cache;
};

// [cache]: the response cache (cache/response_cache.hpp).
struct CacheConfig {
  bool enabled = false;
  std::string path;                               // RocksDB directory; required when enabled
  std::uint32_t ttl_seconds = 3600;               // served as a hit up to this age
  std::uint32_t stale_if_error_seconds = 86400;   // served as stale when every target failed; 0 = never
  std::uint64_t max_bytes = 1073741824;           // on disk; oldest entries dropped past it
};

// A client organisation. Its gateway API keys come from the environment variable named here
// (comma-separated); with no [[tenants]] at all every request is the tenant "default".
struct TenantConfig {
  std::string name;
  std::string api_keys_env;
  std::optional<policy::DataClass> default_data_class;  // else policy.default_data_class
};

// [policy]: the PII scanner's detectors and the egress rules.
struct PolicySettings {
  policy::PolicyConfig engine;                       // rules, default action, default data class
  std::optional<std::vector<std::string>> builtins;  // detector ids to enable; nullopt = all
  std::vector<policy::CustomDetector> custom;        // [[policy.detectors]]
  std::uint64_t max_scan_bytes = 8388608;  // request text scanned; beyond it: fail closed
  // Compiled by the loader from builtins + custom (a bad regex is a config problem); immutable.
  std::shared_ptr<const policy::PiiScanner> scanner;
};

// The audit trail (`[audit]`, policy/audit_log.hpp). Without an [audit] table it is off and the
// gateway warns at startup that requests are not recorded; with one, `path` is required and a
// store that cannot be opened stops the gateway from starting.
struct AuditConfig {
  std::string path;  // store directory, absolute (relative paths: against the config file's directory)
  bool sync = false;  // fsync every batch: acknowledged records survive power loss, not only crashes
  std::uint32_t queue_capacity = 65536;  // records waiting to be written; beyond it they are refused
  bool enabled() const { return !path.empty(); }
};

struct Config {
  std::string source_path;
  GatewayConfig gateway;
  AdminConfig admin;
  AccessLogConfig access_log;
  std::vector<backends::BackendConfig> backends;
  std::vector<ModelConfig> models;
  std::vector<backends::FailureRule> failure_rules;  // operator signatures, before the built-in table
  PolicySettings policy;
  std::vector<TenantConfig> tenants;
  AuditConfig audit;
  CacheConfig cache;

  const ModelConfig* find_model(std::string_view name) const;
};

// One validation problem, already formatted as `file:line: key.path: what is wrong (got value)`.
using ConfigProblem = std::string;

struct ConfigLoad {
  std::optional<Config> config;        // set when there are no problems
  std::vector<ConfigProblem> problems; // every problem found, in file order
  explicit operator bool() const { return config.has_value(); }
};

ConfigLoad load_config_file(const std::string& path);
// `source_name` is used in messages in place of a file path.
ConfigLoad load_config_string(std::string_view toml_text, const std::string& source_name);

}  // namespace sovgw
