// AdminAuth: which admin paths need the token, and which Authorization headers carry it.
#include "gateway/admin_auth.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using sovgw::AdminAuth;

TEST_CASE("admin auth: without a token everything is open") {
  AdminAuth open;
  CHECK_FALSE(open.enabled());
  CHECK_FALSE(open.required_for("/admin/backends"));
  CHECK_FALSE(open.required_for("/metrics"));
  CHECK(open.accepts(""));
}

TEST_CASE("admin auth: health stays open, /admin needs the token, /metrics as configured") {
  auto auth = AdminAuth::with_token("s3cret", false);
  CHECK(auth.enabled());
  CHECK_FALSE(auth.required_for("/healthz"));
  CHECK_FALSE(auth.required_for("/readyz"));
  CHECK_FALSE(auth.required_for("/metrics"));
  CHECK(auth.required_for("/admin/backends"));
  CHECK(auth.required_for("/admin/sovereign-mode"));
  CHECK(auth.required_for("/anything-else"));
  CHECK(AdminAuth::with_token("s3cret", true).required_for("/metrics"));
}

TEST_CASE("admin auth: only 'Bearer <the token>' is accepted") {
  auto auth = AdminAuth::with_token("s3cret", false);
  CHECK(auth.accepts("Bearer s3cret"));
  CHECK(auth.accepts("bearer s3cret"));
  CHECK(auth.accepts("BEARER  s3cret "));
  CHECK_FALSE(auth.accepts(""));
  CHECK_FALSE(auth.accepts("Bearer "));
  CHECK_FALSE(auth.accepts("Bearer"));
  CHECK_FALSE(auth.accepts("s3cret"));
  CHECK_FALSE(auth.accepts("Basic s3cret"));
  CHECK_FALSE(auth.accepts("Bearer s3cre"));
  CHECK_FALSE(auth.accepts("Bearer s3cret2"));
  CHECK_FALSE(auth.accepts("Bearer S3CRET"));
}

TEST_CASE("admin auth: the token comes from the named variable, which must be set") {
  sovgw::AdminConfig config;
  config.token_env = "SOVGW_TEST_ADMIN_TOKEN_UNIT";
  ::unsetenv(config.token_env.c_str());
  auto missing = AdminAuth::from_env(config);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().detail.find("SOVGW_TEST_ADMIN_TOKEN_UNIT") != std::string::npos);
  ::setenv(config.token_env.c_str(), "", 1);
  CHECK_FALSE(AdminAuth::from_env(config));
  ::setenv(config.token_env.c_str(), "from-env", 1);
  auto auth = AdminAuth::from_env(config);
  REQUIRE(auth);
  CHECK(auth->accepts("Bearer from-env"));
  ::unsetenv(config.token_env.c_str());
  CHECK_FALSE(AdminAuth::from_env(sovgw::AdminConfig{}).value().enabled());
}
