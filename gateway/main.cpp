// sovgw's command line: run the gateway, or only validate a config.
//
//   sovgw --config FILE         run; prints "READY listen=HOST:PORT admin=HOST:PORT" once bound;
//                               SIGTERM/SIGINT drain and stop, SIGHUP reopens the access log
//   sovgw --check-config FILE   validate only; exit 0 valid, 2 invalid (problems on stderr)
//   sovgw drill --config FILE [--json]   which models survive if every foreign provider vanished
//   sovgw policy test --config FILE CASES.toml   check example requests against the data policy
//   sovgw audit verify --config FILE     check the audit trail's hash chain
//   sovgw audit export --config FILE [--since TIME]   audit records as JSON lines
#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include "gateway/audit_command.hpp"
#include "gateway/config.hpp"
#include "gateway/drill_command.hpp"
#include "gateway/policy_command.hpp"
#include "gateway/log.hpp"
#include "gateway/server.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitInvalid = 2;

void print_usage(std::FILE* out) {
  std::fputs(
      "usage: sovgw --config FILE          run the gateway\n"
      "       sovgw --check-config FILE    validate FILE and exit (0 valid, 2 invalid)\n"
      "       sovgw drill --config FILE [--json]\n"
      "                                    which models keep serving if every foreign provider vanished\n"
      "                                    (0 all, 3 some would stop, 2 invalid config)\n"
      "       sovgw policy test --config FILE CASES.toml\n"
      "                                    check example requests against the data policy\n"
      "                                    (0 all as expected, 1 a mismatch, 2 invalid input)\n"
      "       sovgw audit verify --config FILE\n"
      "                                    check the audit trail's hash chain (0 intact, 4 broken,\n"
      "                                    2 invalid config or no [audit], 1 store unreadable)\n"
      "       sovgw audit export --config FILE [--since RFC3339|UNIX_SECONDS]\n"
      "                                    audit records as JSON lines on stdout\n"
      "       sovgw --version\n",
      out);
}

// Loads and validates; prints every problem. Returns the config or nothing.
std::optional<sovgw::Config> load_or_report(const std::string& path) {
  auto loaded = sovgw::load_config_file(path);
  for (const auto& problem : loaded.problems) std::cerr << problem << '\n';
  if (!loaded) {
    std::cerr << path << ": " << loaded.problems.size() << " problem" << (loaded.problems.size() == 1 ? "" : "s")
              << " found\n";
    return std::nullopt;
  }
  return std::move(loaded.config);
}

int run(const std::string& path) {
  auto config = load_or_report(path);
  if (!config) return kExitInvalid;

  // Signals are taken synchronously by this thread; workers never see them. Writes to closed
  // sockets must fail with EPIPE, not kill the process.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);  // reopen the access log (log rotation)
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // Request-sized buffers come and go on every worker thread; without this glibc keeps returning
  // the top of each arena to the kernel (madvise) and taking it back (page faults) per request.
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
  mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);

  sovgw::Server server(std::move(*config));
  if (auto started = server.start(); !started) {
    sovgw::log_error(started.error().detail);
    return kExitRuntime;
  }
  sovgw::log_info("sovgw " SOVGW_VERSION " listening on " + server.listen_address() + " (" +
                  std::to_string(server.worker_count()) + " workers), admin on " + server.admin_address());
  std::printf("READY listen=%s admin=%s\n", server.listen_address().c_str(), server.admin_address().c_str());
  std::fflush(stdout);

  int received = 0;
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) {
    sovgw::log_info("received SIGHUP, reopening the access log");
    server.reopen_logs();
  }
  sovgw::log_info(std::string("received ") + (received == SIGINT ? "SIGINT" : "SIGTERM") + ", draining");
  server.shutdown();
  sovgw::log_info("stopped");
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "--version") {
    std::puts("sovgw " SOVGW_VERSION);
    return kExitOk;
  }
  if (command == "--help" || command == "-h") {
    print_usage(stdout);
    return kExitOk;
  }
  if (argc == 3 && command == "--check-config") {
    auto config = load_or_report(argv[2]);
    if (!config) return kExitInvalid;
    std::printf("%s: OK (%zu backends, %zu models)\n", argv[2], config->backends.size(), config->models.size());
    return kExitOk;
  }
  if (argc == 3 && command == "--config") return run(argv[2]);
  if ((argc == 4 || argc == 5) && command == "drill" && std::string_view(argv[2]) == "--config") {
    const bool json = argc == 5 && std::string_view(argv[4]) == "--json";
    if (argc == 5 && !json) {
      print_usage(stderr);
      return kExitInvalid;
    }
    auto config = load_or_report(argv[3]);
    if (!config) return kExitInvalid;
    return sovgw::run_drill_command(*config, json);
  }
  if (argc == 6 && command == "policy" && std::string_view(argv[2]) == "test" &&
      std::string_view(argv[3]) == "--config") {
    auto config = load_or_report(argv[4]);
    if (!config) return kExitInvalid;
    return sovgw::run_policy_test_command(*config, argv[5]);
  }
  if (argc >= 5 && command == "audit" && std::string_view(argv[3]) == "--config") {
    const std::string_view action = argv[2];
    std::optional<std::string_view> since;
    if (argc == 7 && action == "export" && std::string_view(argv[5]) == "--since") {
      since = argv[6];
    } else if (argc != 5 || (action != "verify" && action != "export")) {
      print_usage(stderr);
      return kExitInvalid;
    }
    auto config = load_or_report(argv[4]);
    if (!config) return kExitInvalid;
    return action == "verify" ? sovgw::run_audit_verify(*config) : sovgw::run_audit_export(*config, since);
  }
  print_usage(stderr);
  return kExitInvalid;
}
