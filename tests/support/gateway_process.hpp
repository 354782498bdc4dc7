// GatewayProcess: runs the real sovgw binary for an integration test. Writes the config TOML to
// the test's TempDir, starts `sovgw --config FILE`, waits for its one stdout line
// `READY listen=HOST:PORT admin=HOST:PORT` and exposes the bound ports as URLs. stderr (the logs)
// goes to a file in the TempDir; `INFO(gw.log())` prints it when a check fails. Destruction sends
// SIGTERM, then SIGKILL. Not thread-safe: one test thread.
//
//   GatewayProcess gw(dir, config_toml);   // throws, with the log, if sovgw does not become ready
//   HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), body);
//   CHECK(gw.stop() == 0);                 // graceful stop
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sovgw::testing {

class GatewayProcess {
 public:
  struct Options {
    std::vector<std::string> extra_args{};  // after `--config FILE`
    std::vector<std::pair<std::string, std::string>> env{};  // e.g. {"OPENAI_KEY_A", "sk-test"}
    std::string config_name = "sovgw.toml";
    std::chrono::milliseconds ready_timeout{5000};
    std::chrono::milliseconds stop_grace{5000};  // destructor: SIGTERM, then SIGKILL after this
  };

  GatewayProcess(const TempDir& dir, std::string_view config_toml, Options options);
  GatewayProcess(const TempDir& dir, std::string_view config_toml) : GatewayProcess(dir, config_toml, Options{}) {}
  ~GatewayProcess();

  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  // http://HOST:PORT + path on the client listener / the admin listener.
  std::string url(std::string_view path) const { return origin_ + std::string(path); }
  std::string admin_url(std::string_view path) const { return admin_origin_ + std::string(path); }
  const std::string& config_path() const { return config_path_; }
  const std::string& ready_line() const { return ready_line_; }

  std::string log() const { return process_->stderr_text(); }
  ChildProcess& process() { return *process_; }
  // SIGTERM and wait up to `grace` (then SIGKILL); returns the exit code (0 = clean stop).
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000)) { return process_->stop(grace); }

  struct CheckResult {
    int exit_code = -1;       // 0 valid, 2 invalid
    std::string stderr_text{};  // the problems, one per line
  };
  // Runs `sovgw --check-config FILE` on `config_toml` (written as `config_name` in `dir`).
  static CheckResult check_config(const TempDir& dir, std::string_view config_toml,
                                  std::string_view config_name = "check.toml",
                                  std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

  // The sovgw binary: CMake's path, unless SOVGW_BINARY is set in the environment.
  static std::string binary();

 private:
  std::string config_path_;
  std::unique_ptr<ChildProcess> process_;
  std::string ready_line_;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
  std::string origin_;
  std::string admin_origin_;
};

}  // namespace sovgw::testing
