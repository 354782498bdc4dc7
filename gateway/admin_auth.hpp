// AdminAuth: the admin API's bearer token. The token comes from the environment variable named by
// admin.token_env, read once at startup; only its SHA-256 digest is kept, and a presented token is
// compared digest to digest in constant time. /healthz and /readyz stay open (probes of load
// balancers and orchestrators carry no credentials); /metrics needs the token only when
// admin.metrics_require_token is set; every /admin/ endpoint needs it. Without admin.token_env
// the API is open, which the config loader allows on a loopback listener only.
// Immutable after startup: any thread may call accepts().
//
//   auto auth = AdminAuth::from_env(config.admin);  // error: the variable is unset or empty
//   if (auth->required_for("/admin/backends") && !auth->accepts(request["authorization"])) -> 401
#pragma once

#include <array>
#include <string_view>

#include "common/result.hpp"
#include "gateway/config.hpp"

namespace sovgw {

class AdminAuth {
 public:
  AdminAuth() = default;  // open: no token configured
  // Reads the variable named by config.token_env (nothing when that is "").
  static Result<AdminAuth> from_env(const AdminConfig& config);
  // A token given directly (tests).
  static AdminAuth with_token(std::string_view token, bool metrics_require_token);

  bool enabled() const { return enabled_; }
  // Whether a request for `path` (no query string) must carry the token.
  bool required_for(std::string_view path) const;
  // `authorization` is the request's Authorization header: "Bearer <token>" (scheme in any case).
  bool accepts(std::string_view authorization) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  static Digest digest(std::string_view text);

  bool enabled_ = false;
  bool metrics_require_token_ = false;
  Digest token_digest_{};
};

}  // namespace sovgw
