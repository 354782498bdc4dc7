#include "gateway/admin_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cctype>
#include <cstdlib>

namespace sovgw {

Result<AdminAuth> AdminAuth::from_env(const AdminConfig& config) {
  AdminAuth auth;
  if (config.token_env.empty()) return auth;
  const char* value = std::getenv(config.token_env.c_str());
  if (!value || !*value) {
    return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false,
                      "admin.token_env names " + config.token_env +
                          ", which is not set or empty: refusing to start with an unprotected admin API");
  }
  return with_token(value, config.metrics_require_token);
}

AdminAuth AdminAuth::with_token(std::string_view token, bool metrics_require_token) {
  AdminAuth auth;
  auth.enabled_ = true;
  auth.metrics_require_token_ = metrics_require_token;
  auth.token_digest_ = digest(token);
  return auth;
}

bool AdminAuth::required_for(std::string_view path) const {
  if (!enabled_) return false;
  if (path == "/healthz" || path == "/readyz") return false;
  if (path == "/metrics") return metrics_require_token_;
  return true;  // /admin/* and anything unknown: a 404 is only for those who may ask
}

bool AdminAuth::accepts(std::string_view authorization) const {
  if (!enabled_) return true;
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return false;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  // Digests of equal length compared in constant time: neither the token's bytes nor its length
  // leak through timing.
  const Digest presented = digest(token);
  return CRYPTO_memcmp(presented.data(), token_digest_.data(), presented.size()) == 0;
}

AdminAuth::Digest AdminAuth::digest(std::string_view text) {
  Digest out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

}  // namespace sovgw
