#include "gateway/config_loader_observability.hpp"

#include "gateway/config_loader_values.hpp"

namespace sovgw {

namespace fs = std::filesystem;
using config_reader::TableReader;
using config_values::quote;

namespace {

bool is_loopback(const std::string& host) {
  return host.starts_with("127.") || host == "::1" || host.starts_with("::ffff:127.");
}

}  // namespace

void read_admin_auth(TableReader& r, AdminConfig& out) {
  bool named = true;  // false when a wrong token_env was already reported
  if (auto name = r.string("token_env")) {
    if (name->empty() || config_values::is_env_var_name(*name)) {
      out.token_env = *name;
    } else {
      named = false;
      // The value may be the token itself, pasted in the wrong place: never echo it.
      r.problem("token_env", "must be an environment variable name such as SOVGW_ADMIN_TOKEN",
                "a string of " + std::to_string(name->size()) + " characters, not shown in case it is a secret");
    }
  }
  r.boolean("metrics_require_token", out.metrics_require_token);
  if (!named) return;
  if (out.token_env.empty() && out.metrics_require_token) {
    r.problem("metrics_require_token", "needs admin.token_env", "true");
  }
  if (out.token_env.empty() && !is_loopback(out.listen.host)) {
    r.problem("listen", "is not a loopback address, so admin.token_env must name the admin token's variable",
              quote(out.listen.text));
  }
}

void read_access_log(TableReader& r, const fs::path& base_dir, AccessLogConfig& out) {
  r.boolean("enabled", out.enabled);
  if (auto path = r.string("path")) {
    if (path->empty() || *path == "-") {
      out.path = "-";
    } else {
      std::error_code ec;
      fs::path file = fs::absolute(base_dir / fs::path(*path), ec).lexically_normal();
      if (ec) file = (base_dir / fs::path(*path)).lexically_normal();
      const fs::path dir = file.parent_path();
      if (!fs::is_directory(dir, ec)) {
        r.problem("path", "directory " + quote(dir.string()) + " does not exist", quote(*path));
      } else if (fs::is_directory(file, ec)) {
        r.problem("path", "is a directory, not a file", quote(*path));
      } else {
        out.path = file.string();
      }
    }
  }
  r.report_unknown_keys();
}

}  // namespace sovgw
