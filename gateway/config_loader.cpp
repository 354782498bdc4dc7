// The config loader: TOML text to a validated, immutable Config, or every problem in file order.
// The only code that touches toml++ (with config_loader_reader.cpp). Runs once at startup and for
// --check-config, on one thread; blocking file reads are fine here.
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <system_error>

#include "gateway/config.hpp"
#include "gateway/config_loader_audit.hpp"
#include "gateway/config_loader_observability.hpp"
#include "gateway/config_loader_cache.hpp"
#include "gateway/config_loader_reader.hpp"
#include "gateway/config_loader_policy.hpp"
#include "gateway/config_loader_rules.hpp"
#include "gateway/config_loader_values.hpp"

namespace sovgw {
namespace {

namespace fs = std::filesystem;
using config_reader::Need;
using config_reader::ProblemList;
using config_reader::Range;
using config_reader::TableReader;
using config_values::quote;

// Ranges: wide enough for any sane deployment, narrow enough to catch a slip of the keyboard.
// No timeout is 0 (it would read as "never wait" to some and "fail at once" to others) or longer
// than a day; byte limits start at 1 KiB so a missing "* 1024" does not shut every client out.
constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;
constexpr Range kTimeoutMs{1, kDayMs};
constexpr Range kWorkers{0, 1024};                        // 0 = one per core
constexpr Range kClientConnections{1, 1'000'000};
constexpr Range kHeaderBytes{1024, 1024 * 1024};          // 1 KiB .. 1 MiB
constexpr Range kBodyBytes{1024, 1024LL * 1024 * 1024};   // 1 KiB .. 1 GiB
constexpr Range kPoolConnections{1, 100'000};
constexpr Range kIdlePoolConnections{0, 100'000};         // 0 = never reuse a connection
constexpr Range kFailureThreshold{1, 1000};
constexpr Range kMaxTokens{1, 1'000'000};                    // default_max_tokens

constexpr std::string_view kJurisdictionRule =
    "must be a 2-letter upper-case ISO 3166-1 alpha-2 code";

// Backend names seen so far, for duplicates and for resolving targets.
struct BackendNames {
  struct Entry {
    std::size_t index;
    std::uint32_t line;
  };
  std::map<std::string, Entry, std::less<>> by_name;
  std::vector<std::string> names;  // for "did you mean"
};

void read_listen(TableReader& r, ListenAddress& out) {
  auto text = r.string("listen");
  if (!text) return;
  if (auto address = config_values::parse_listen_address(*text)) {
    out = *address;
  } else {
    r.problem("listen", "must be HOST:PORT", quote(*text));
  }
}

void read_jurisdiction(TableReader& r, std::string_view key, Need need, std::string& out) {
  auto code = r.string(key, need);
  if (!code) return;
  if (config_values::is_jurisdiction_code(*code)) {
    out = *code;
  } else {
    r.problem(key, kJurisdictionRule, quote(*code));
  }
}

void read_gateway(TableReader& r, GatewayConfig& g) {
  read_listen(r, g.listen);
  r.integer("workers", kWorkers, g.workers);
  read_jurisdiction(r, "home_jurisdiction", Need::kOptional, g.home_jurisdiction);
  r.integer("max_connections", kClientConnections, g.max_connections);
  r.integer("max_header_bytes", kHeaderBytes, g.max_header_bytes);
  r.integer("max_body_bytes", kBodyBytes, g.max_body_bytes);
  r.integer("header_timeout_ms", kTimeoutMs, g.header_timeout_ms);
  r.integer("body_timeout_ms", kTimeoutMs, g.body_timeout_ms);
  r.integer("idle_timeout_ms", kTimeoutMs, g.idle_timeout_ms);
  r.integer("request_timeout_ms", kTimeoutMs, g.request_timeout_ms);
  r.integer("max_response_bytes", kBodyBytes, g.max_response_bytes);
  r.integer("drain_timeout_ms", kTimeoutMs, g.drain_timeout_ms);
  r.boolean("sovereign_mode", g.sovereign_mode);
  r.boolean("auto_sovereign_mode", g.auto_sovereign_mode);
  r.report_unknown_keys();
}

// Why `path` cannot be used as a CA bundle, or nullopt when it can be read.
std::optional<std::string> unreadable_reason(const fs::path& path) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec) return ec.message();
  if (!fs::is_regular_file(status)) return std::string("not a regular file");
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return std::generic_category().message(errno);
  std::fclose(file);
  return std::nullopt;
}

void read_ca_file(TableReader& r, const fs::path& base_dir, std::string& out) {
  auto value = r.string("ca_file");
  if (!value || value->empty()) return;  // "" = the system store, like leaving it out
  std::error_code ec;
  fs::path path = fs::absolute(base_dir / fs::path(*value), ec).lexically_normal();
  if (ec) path = (base_dir / fs::path(*value)).lexically_normal();
  if (auto reason = unreadable_reason(path)) {
    r.problem("ca_file", "cannot read " + quote(path.string()) + ": " + *reason, quote(*value));
  } else {
    out = path.string();
  }
}

void read_api_key_env(TableReader& r, std::string& out) {
  auto name = r.string("api_key_env");
  if (!name) return;
  if (config_values::is_env_var_name(*name)) {
    out = *name;
    return;
  }
  // The value may be the key itself, pasted in the wrong place: never echo it.
  std::string shown = name->empty() ? "\"\""
                                    : "a string of " + std::to_string(name->size()) +
                                          " characters, not shown in case it is a secret";
  r.problem("api_key_env", "must be an environment variable name such as OPENAI_API_KEY", shown);
}

void read_backend_limits(TableReader& r, backends::BackendConfig& b) {
  r.integer("connect_timeout_ms", kTimeoutMs, b.connect_timeout_ms);
  r.integer("first_byte_timeout_ms", kTimeoutMs, b.first_byte_timeout_ms);
  r.integer("stream_first_byte_timeout_ms", kTimeoutMs, b.stream_first_byte_timeout_ms);
  r.integer("stream_idle_timeout_ms", kTimeoutMs, b.stream_idle_timeout_ms);
  r.integer("total_timeout_ms", kTimeoutMs, b.total_timeout_ms);
  r.integer("max_connections", kPoolConnections, b.max_connections);
  r.integer("max_idle_connections", kIdlePoolConnections, b.max_idle_connections);
  r.integer("idle_connection_timeout_ms", kTimeoutMs, b.idle_connection_timeout_ms);
  r.integer("time_to_first_token_ms", kTimeoutMs, b.time_to_first_token_ms);
  r.integer("failure_threshold", kFailureThreshold, b.failure_threshold);
  r.integer("base_ejection_ms", kTimeoutMs, b.base_ejection_ms);
  r.integer("max_ejection_ms", kTimeoutMs, b.max_ejection_ms);
  r.boolean("health_check", b.health_check);
  r.integer("health_check_interval_ms", kTimeoutMs, b.health_check_interval_ms);
  r.integer("health_check_timeout_ms", kTimeoutMs, b.health_check_timeout_ms);
  if (auto path = r.string("health_check_path")) {
    if (path->empty() || path->front() != '/' || path->find_first_of(" ?#") != std::string::npos) {
      r.problem("health_check_path", "must be a path starting with '/'", quote(*path));
    } else {
      b.health_check_path = *path;
    }
  }
  if (b.max_ejection_ms < b.base_ejection_ms) {
    r.problem("max_ejection_ms", "must be at least base_ejection_ms, " + std::to_string(b.base_ejection_ms),
              std::to_string(b.max_ejection_ms));
  }
  if (b.max_idle_connections > b.max_connections) {
    r.problem("max_idle_connections",
              "must be at most max_connections, " + std::to_string(b.max_connections),
              std::to_string(b.max_idle_connections));
  }
}

void read_backend(TableReader& r, const fs::path& base_dir, backends::BackendConfig& b) {
  if (auto name = r.string("name", Need::kRequired)) {
    if (config_values::is_backend_name(*name)) {
      b.name = *name;
    } else {
      r.problem("name", "must be letters, digits, '.', '_' or '-'", quote(*name));
    }
  }
  if (auto protocol = r.string("protocol")) {
    if (*protocol == "anthropic") {
      b.protocol = backends::Protocol::kAnthropic;
      b.health_check_path = "/v1/models";
      b.continuation = backends::Continuation::kPrefill;  // Anthropic continues a trailing assistant turn
    } else if (*protocol != "openai") {
      r.problem("protocol", "must be \"openai\" or \"anthropic\"", quote(*protocol));
    }
  }
  if (auto url = r.string("base_url", Need::kRequired)) {
    auto parsed = config_values::parse_upstream_url(*url);
    if (!parsed.url) {
      r.problem("base_url", parsed.what, parsed.shown);
    } else if (b.protocol == backends::Protocol::kAnthropic && parsed.url->base_path.ends_with("/v1")) {
      r.problem("base_url", "must not end in /v1 for protocol \"anthropic\" (sovgw adds /v1/messages)", quote(*url));
    } else {
      b.base_url = *url;
      b.url = std::move(*parsed.url);
    }
  }
  if (auto version = r.string("anthropic_version")) {
    if (b.protocol != backends::Protocol::kAnthropic) {
      r.problem("anthropic_version", "only applies to protocol \"anthropic\"", quote(*version));
    } else if (version->empty() || version->find_first_of(" \r\n\t") != std::string::npos) {
      r.problem("anthropic_version", "must be a version such as \"2023-06-01\"", quote(*version));
    } else {
      b.anthropic_version = *version;
    }
  }
  read_api_key_env(r, b.api_key_env);
  if (auto continuation = r.string("continuation")) {
    if (*continuation == "none") {
      b.continuation = backends::Continuation::kNone;
    } else if (*continuation == "prefill") {
      b.continuation = backends::Continuation::kPrefill;
    } else if (*continuation == "vllm" && b.protocol == backends::Protocol::kAnthropic) {
      r.problem("continuation", "\"vllm\" is for OpenAI-protocol vLLM servers; use \"prefill\" or \"none\"", quote(*continuation));
    } else if (*continuation == "vllm") {
      b.continuation = backends::Continuation::kVllm;
    } else {
      r.problem("continuation", "must be \"none\", \"prefill\" or \"vllm\"", quote(*continuation));
    }
  }
  read_jurisdiction(r, "jurisdiction", Need::kRequired, b.jurisdiction);
  r.boolean("local", b.local);
  read_ca_file(r, base_dir, b.ca_file);
  read_backend_limits(r, b);
  r.report_unknown_keys(/*secrets_hint=*/true);
}

void read_backends(TableReader& top, const fs::path& base_dir, Config& config,
                   BackendNames& names) {
  auto tables = top.tables("backends", Need::kOptional);
  if (!tables) return;
  for (std::size_t i = 0; i < tables->size(); ++i) {
    if (!(*tables)[i]) continue;
    TableReader r(top.problems(), *(*tables)[i], "backends[" + std::to_string(i) + "]");
    backends::BackendConfig backend;
    read_backend(r, base_dir, backend);
    if (!backend.name.empty()) {
      auto [it, inserted] = names.by_name.try_emplace(
          backend.name, BackendNames::Entry{config.backends.size(), r.line_of("name")});
      if (inserted) {
        names.names.push_back(backend.name);
      } else {
        r.problem("name", "duplicate backend name",
                  quote(backend.name) + ", first at line " + std::to_string(it->second.line));
      }
    }
    config.backends.push_back(std::move(backend));
  }
}

TargetConfig read_target(TableReader& r, const BackendNames& names) {
  TargetConfig target;
  if (auto backend = r.string("backend", Need::kRequired)) {
    target.backend = *backend;
    if (auto it = names.by_name.find(*backend); it != names.by_name.end()) {
      target.backend_index = it->second.index;
    } else {
      std::string what = "no backend named " + quote(*backend);
      if (auto near = config_values::nearest_name(*backend, names.names); !near.empty()) {
        what += " (did you mean " + quote(near) + "?)";
      }
      r.problem("backend", what);
    }
  }
  if (auto model = r.string("model", Need::kRequired)) {
    if (model->empty()) r.problem("model", "must not be empty", "\"\"");
    target.model = *model;
  }
  r.report_unknown_keys();
  return target;
}

ModelConfig read_model(TableReader& r, const BackendNames& names) {
  ModelConfig model;
  if (auto name = r.string("name", Need::kRequired)) {
    if (name->empty()) r.problem("name", "must not be empty", "\"\"");
    model.name = *name;
  }
  r.boolean("fallback_on_client_error", model.fallback_on_client_error);
  r.integer("default_max_tokens", kMaxTokens, model.default_max_tokens);
  read_model_cache(r, model.cache);
  if (auto targets = r.tables("targets", Need::kRequired)) {
    if (targets->empty()) r.problem("targets", "must list at least one target", "[]");
    for (std::size_t i = 0; i < targets->size(); ++i) {
      if (!(*targets)[i]) continue;
      TableReader t(r.problems(), *(*targets)[i],
                    r.path_of("targets") + "[" + std::to_string(i) + "]");
      model.targets.push_back(read_target(t, names));
    }
  }
  r.report_unknown_keys();
  return model;
}

void read_models(TableReader& top, const BackendNames& names, Config& config) {
  auto tables = top.tables("models", Need::kOptional);
  if (!tables) return;
  std::map<std::string, std::uint32_t, std::less<>> first_line;
  for (std::size_t i = 0; i < tables->size(); ++i) {
    if (!(*tables)[i]) continue;
    TableReader r(top.problems(), *(*tables)[i], "models[" + std::to_string(i) + "]");
    ModelConfig model = read_model(r, names);
    if (!model.name.empty()) {
      auto [it, inserted] = first_line.try_emplace(model.name, r.line_of("name"));
      if (!inserted) {
        r.problem("name", "duplicate model name",
                  quote(model.name) + ", first at line " + std::to_string(it->second));
      }
    }
    config.models.push_back(std::move(model));
  }
}

bool same_socket(const ListenAddress& a, const ListenAddress& b) {
  auto wildcard = [](const std::string& host) { return host == "0.0.0.0" || host == "::"; };
  return a.port != 0 && a.port == b.port &&
         (a.host == b.host || wildcard(a.host) || wildcard(b.host));
}

// The admin API and the client listener cannot share a socket.
void check_listen_conflict(std::optional<TableReader>& gateway, std::optional<TableReader>& admin,
                           const Config& config) {
  if (!same_socket(config.gateway.listen, config.admin.listen)) return;
  if (admin && admin->has("listen")) {
    admin->problem("listen", "must differ from gateway.listen", quote(config.admin.listen.text));
  } else if (gateway && gateway->has("listen")) {
    gateway->problem("listen", "must differ from admin.listen", quote(config.gateway.listen.text));
  }
}

void read_document(const toml::table& root, const fs::path& base_dir, ProblemList& problems,
                   Config& config) {
  TableReader top(problems, root, "");
  std::optional<TableReader> gateway;
  std::optional<TableReader> admin;
  if (auto* table = top.table("gateway")) {
    gateway.emplace(problems, *table, "gateway");
    read_gateway(*gateway, config.gateway);
  }
  if (auto* table = top.table("admin")) {
    admin.emplace(problems, *table, "admin");
    read_listen(*admin, config.admin.listen);
    read_admin_auth(*admin, config.admin);
    admin->report_unknown_keys();
  }
  check_listen_conflict(gateway, admin, config);
  if (auto* table = top.table("access_log")) {
    TableReader access_log(problems, *table, "access_log");
    read_access_log(access_log, base_dir, config.access_log);
  }
  BackendNames names;
  read_backends(top, base_dir, config, names);
  read_models(top, names, config);
  read_failure_rules(top, config.failure_rules);
  read_policy(top, config);
  read_audit(top, base_dir, config.audit);
  read_cache_section(top, base_dir, config.cache);
  top.report_unknown_keys();
}

// `base_dir` anchors relative paths in the file (ca_file); "" = the current directory.
ConfigLoad load_text(std::string_view text, const std::string& source, const fs::path& base_dir) {
  ProblemList problems(source);
  toml::table root;
  try {
    // Debian's toml++ is built with exceptions; a syntax error is expected input, so it becomes
    // a value here.
    root = toml::parse(text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    problems.add_line(e.source().begin.line, "syntax error: " + std::string(e.description()));
    return ConfigLoad{std::nullopt, problems.take_sorted()};
  }
  Config config;
  config.source_path = source;
  read_document(root, base_dir, problems, config);
  if (!problems.empty()) return ConfigLoad{std::nullopt, problems.take_sorted()};
  return ConfigLoad{std::move(config), {}};
}

// The whole file, or the reason it cannot be read.
std::optional<std::string> read_file(const std::string& path, std::string& reason) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) {
    reason = std::generic_category().message(errno);
    return std::nullopt;
  }
  std::string text;
  char buffer[8192];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  bool failed = std::ferror(file) != 0;
  int error = errno;
  std::fclose(file);
  if (failed) {
    reason = std::generic_category().message(error);
    return std::nullopt;
  }
  return text;
}

}  // namespace

const ModelConfig* Config::find_model(std::string_view name) const {
  for (const auto& model : models) {
    if (model.name == name) return &model;
  }
  return nullptr;
}

ConfigLoad load_config_file(const std::string& path) {
  std::string reason;
  auto text = read_file(path, reason);
  if (!text) return ConfigLoad{std::nullopt, {path + ": cannot read file: " + reason}};
  return load_text(*text, path, fs::path(path).parent_path());
}

ConfigLoad load_config_string(std::string_view toml_text, const std::string& source_name) {
  return load_text(toml_text, source_name, fs::path());
}

}  // namespace sovgw
