// GatewayProcess: see gateway_process.hpp.
#include "tests/support/gateway_process.hpp"

#include <cstdlib>
#include <optional>
#include <stdexcept>

#ifndef SOVGW_BINARY
#define SOVGW_BINARY ""
#endif

namespace sovgw::testing {
namespace {

struct HostPort {
  std::string host;  // as printed: "127.0.0.1" or "[::1]"
  std::uint16_t port = 0;
};

// The value of `key=` in a `READY listen=H:P admin=H:P` line, split at its last colon.
std::optional<HostPort> field(std::string_view line, std::string_view key) {
  std::string needle = " " + std::string(key) + "=";
  auto pos = line.find(needle);
  if (pos == std::string_view::npos) return std::nullopt;
  std::string_view value = line.substr(pos + needle.size());
  value = value.substr(0, value.find(' '));
  auto colon = value.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  int port = std::atoi(std::string(value.substr(colon + 1)).c_str());
  if (port <= 0 || port > 65535) return std::nullopt;
  return HostPort{std::string(value.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

}  // namespace

std::string GatewayProcess::binary() {
  const char* env = std::getenv("SOVGW_BINARY");
  return env && *env ? env : SOVGW_BINARY;
}

GatewayProcess::GatewayProcess(const TempDir& dir, std::string_view config_toml, Options options) {
  config_path_ = dir.write(options.config_name, config_toml);
  std::vector<std::string> args = {"--config", config_path_};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  process_ = std::make_unique<ChildProcess>(ChildProcess::Options{
      .program = binary(),
      .args = std::move(args),
      .env = std::move(options.env),
      .stderr_path = dir.file("sovgw.stderr.log"),
      .stop_grace = options.stop_grace,
  });
  auto line = process_->wait_for_line("READY ", options.ready_timeout);
  std::optional<HostPort> listen, admin;
  if (line) {
    ready_line_ = *line;
    listen = field(*line, "listen");
    admin = field(*line, "admin");
  }
  if (!listen || !admin) {
    auto code = process_->stop(std::chrono::milliseconds(1000));
    throw std::runtime_error("sovgw did not become ready (exit " + std::to_string(code) +
                             ", READY line: " + line.value_or("none") + "); config:\n" + std::string(config_toml) +
                             "\nstderr:\n" + log());
  }
  port_ = listen->port;
  admin_port_ = admin->port;
  origin_ = "http://" + listen->host + ":" + std::to_string(port_);
  admin_origin_ = "http://" + admin->host + ":" + std::to_string(admin_port_);
}

GatewayProcess::~GatewayProcess() = default;

GatewayProcess::CheckResult GatewayProcess::check_config(const TempDir& dir, std::string_view config_toml,
                                                         std::string_view config_name,
                                                         std::chrono::milliseconds timeout) {
  std::string path = dir.write(config_name, config_toml);
  ChildProcess p(ChildProcess::Options{
      .program = binary(),
      .args = {"--check-config", path},
      .env = {},
      .stderr_path = dir.file(std::string(config_name) + ".stderr.log"),
  });
  CheckResult r;
  r.exit_code = p.wait_exit(timeout).value_or(-1);
  if (r.exit_code == -1) r.exit_code = p.stop(std::chrono::milliseconds(500));
  r.stderr_text = p.stderr_text();
  return r;
}

}  // namespace sovgw::testing
