// Reading the operations surface's settings: the admin API's token (`[admin]` token_env,
// metrics_require_token) and the access log (`[access_log]`). Private to config_loader*.cpp;
// one thread, at load time.
//
//   [admin]
//   listen = "10.0.0.5:9901"
//   token_env = "SOVGW_ADMIN_TOKEN"   # required here: the listener is not on loopback
//
//   [access_log]
//   path = "/var/log/sovgw/access.log"
#pragma once

#include <filesystem>

#include "gateway/config.hpp"
#include "gateway/config_loader_reader.hpp"

namespace sovgw {

// The [admin] keys besides listen; call after admin.listen has been read into `out`.
void read_admin_auth(config_reader::TableReader& admin, AdminConfig& out);
// [access_log]: `base_dir` anchors a relative path (the config file's directory).
void read_access_log(config_reader::TableReader& access_log, const std::filesystem::path& base_dir,
                     AccessLogConfig& out);

}  // namespace sovgw
