// Value checks for the config loader that do not depend on TOML: URLs, listen addresses,
// jurisdiction codes, environment variable names, "did you mean" suggestions and quoting for
// messages. Private to config_loader*.cpp; pure functions, safe from any thread.
//
//   ParsedUrl p = parse_upstream_url("https://[::1]:8443/v1/");
//   // p.url->host == "::1", p.url->port == 8443, p.url->base_path == "/v1"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/backend_config.hpp"
#include "gateway/config.hpp"

namespace sovgw::config_values {

// Either `url` is set, or `what` says what is wrong and `shown` is the value to print after
// "got" (the URL itself, or a redacted copy when it carried credentials).
struct ParsedUrl {
  std::optional<backends::UpstreamUrl> url;
  std::string what;
  std::string shown;
};
ParsedUrl parse_upstream_url(std::string_view text);

// "127.0.0.1:8080", "[::1]:0", "0.0.0.0:443", "localhost:8080" (host becomes 127.0.0.1).
// The host must be an IP literal: the listener binds to it without resolving names.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

// Officially assigned ISO 3166-1 alpha-2 code, upper case ("KR", "US", "DE").
bool is_jurisdiction_code(std::string_view text);

// [A-Za-z_][A-Za-z0-9_]*
bool is_env_var_name(std::string_view text);

// [A-Za-z0-9._-]+ — backend names appear in metric labels and logs.
bool is_backend_name(std::string_view text);

// The candidate a typo of `name` most likely meant, or "" when none is close. kWholeOrPrefix
// also takes a mistyped beginning ("api_kye" for "api_key_env", "connect" for
// "connect_timeout_ms").
enum class Match { kWhole, kWholeOrPrefix };
std::string nearest_name(std::string_view name, const std::vector<std::string>& candidates,
                         Match match = Match::kWholeOrPrefix);

// A string as it appears in messages: double-quoted, escaped, shortened when very long.
std::string quote(std::string_view text);

}  // namespace sovgw::config_values
