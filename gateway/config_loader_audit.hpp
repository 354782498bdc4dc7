// Reading `[audit]`: where the audit trail is stored and how hard each batch is pushed to disk.
// Checks the path without creating anything (--check-config must not touch the disk); the store
// itself is opened when the gateway starts.
//
//   [audit]
//   path = "/var/lib/sovgw/audit"
//   sync = false
//   queue_capacity = 65536
#pragma once

#include <filesystem>

#include "gateway/config.hpp"
#include "gateway/config_loader_reader.hpp"

namespace sovgw {

// `base_dir` anchors a relative path (the config file's directory; "" = the current directory).
void read_audit(config_reader::TableReader& top, const std::filesystem::path& base_dir, AuditConfig& out);

}  // namespace sovgw
