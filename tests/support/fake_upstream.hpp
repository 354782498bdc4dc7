// FakeUpstream: runs one fake_upstream process (tests/fakes/README.md) on a free loopback port for
// an integration test, and drives its control API: what it received, the behaviour script, and
// waiting (by polling under a deadline) for a request to reach an outcome such as client_closed.
// Control-call failures throw std::runtime_error, which fails the test with the fake's log.
// Not thread-safe: one test thread.
//
//   TempDir dir;
//   FakeUpstream fake(dir, "alpha");
//   fake.script(R"([{"action":"status","status":429}])");
//   ... run the gateway with base_url = fake.base_url() ...
//   CHECK(fake.wait_for_outcome(1, "client_closed").outcome == "client_closed");
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace sovgw::testing {

// One request the fake received on /v1/*, as GET /_fake/requests reports it.
struct FakeRequest {
  int seq = 0;  // 1, 2, ... in arrival order; 0 = no such request
  std::string method{};
  std::string target{};
  std::map<std::string, std::string> headers{};  // lower-case names
  std::string body{};
  int connection = 0;   // which TCP connection carried it (same number = connection reused)
  std::string outcome{};  // completed | client_closed | reset | hanging | streaming
  int chunks_sent = 0;

  std::string header(std::string_view lower_case_name) const;
};

struct FakeStats {
  int connections_accepted = 0;
  int connections_open = 0;
  int requests = 0;
};

class FakeUpstream {
 public:
  struct Options {
    std::string name = "fake";
    std::string tls_cert{};  // PEM files; both set = serve HTTPS
    std::string tls_key{};
    std::vector<std::string> extra_args{};
    std::chrono::milliseconds ready_timeout{5000};
  };

  // Starts the fake and waits for `READY port=N`. Throws std::runtime_error (with its stderr) if
  // it does not come up. Its stderr goes to `dir`/fake-NAME.stderr.log.
  FakeUpstream(const TempDir& dir, Options options);
  FakeUpstream(const TempDir& dir, std::string name);
  ~FakeUpstream();

  std::uint16_t port() const { return port_; }
  const std::string& name() const { return options_.name; }
  // http(s)://127.0.0.1:PORT/v1 — what a backend's base_url should be.
  std::string base_url() const { return origin_ + "/v1"; }
  // http(s)://127.0.0.1:PORT + path
  std::string url(std::string_view path) const { return origin_ + std::string(path); }

  std::vector<FakeRequest> requests();
  void clear();  // forget the recorded requests
  // POST /_fake/script: `queue_json` is a JSON array of behaviours, `default_json` a behaviour
  // object or "" for none.
  void script(std::string_view queue_json, std::string_view default_json = "");
  void clear_script();
  FakeStats stats();

  // Polls /_fake/requests (20 ms steps) until request `seq` has `outcome` or the timeout runs
  // out; returns the request as last seen (seq 0 if it never arrived).
  FakeRequest wait_for_outcome(int seq, std::string_view outcome,
                               std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
  // Polls until at least `n` requests were received; returns them (maybe fewer, on timeout).
  std::vector<FakeRequest> wait_for_requests(std::size_t n,
                                             std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

  std::string log() const { return process_->stderr_text(); }
  ChildProcess& process() { return *process_; }

 private:
  HttpResponse control(std::string_view method, std::string_view path, std::string_view body = {});

  Options options_;
  std::unique_ptr<ChildProcess> process_;
  std::uint16_t port_ = 0;
  std::string origin_;
  HttpClient http_;
};

}  // namespace sovgw::testing
