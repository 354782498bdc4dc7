#include "gateway/config_loader_audit.hpp"

#include <system_error>

#include "gateway/config_loader_values.hpp"

namespace sovgw {

namespace fs = std::filesystem;
using config_reader::Need;
using config_reader::Range;
using config_reader::TableReader;
using config_values::quote;

namespace {

// Up to a million queued records (about a gigabyte at worst): more only hides a store that
// cannot keep up.
constexpr Range kQueueCapacity{1, 1'000'000};

void read_path(TableReader& r, const fs::path& base_dir, std::string& out) {
  auto value = r.string("path", Need::kRequired);
  if (!value) return;
  if (value->empty()) {
    r.problem("path", "must name a directory (leave out [audit] to run without an audit trail)", "\"\"");
    return;
  }
  std::error_code ec;
  fs::path path = fs::absolute(base_dir / fs::path(*value), ec).lexically_normal();
  if (ec) path = (base_dir / fs::path(*value)).lexically_normal();
  if (fs::exists(path, ec) && !fs::is_directory(path, ec)) {
    r.problem("path", "exists and is not a directory: " + quote(path.string()), quote(*value));
    return;
  }
  out = path.string();
}

}  // namespace

void read_audit(TableReader& top, const fs::path& base_dir, AuditConfig& out) {
  const toml::table* table = top.table("audit");
  if (!table) return;
  TableReader r(top.problems(), *table, "audit");
  read_path(r, base_dir, out.path);
  r.boolean("sync", out.sync);
  r.integer("queue_capacity", kQueueCapacity, out.queue_capacity);
  r.report_unknown_keys();
}

}  // namespace sovgw
