// FakeUpstream: see fake_upstream.hpp.
#include "tests/support/fake_upstream.hpp"

#include <boost/json.hpp>

#include <cstdlib>
#include <stdexcept>
#include <thread>

#ifndef SOVGW_FAKE_UPSTREAM
#define SOVGW_FAKE_UPSTREAM ""
#endif

namespace sovgw::testing {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollStep{20};

// The fake_upstream binary: CMake's path, unless SOVGW_FAKE_UPSTREAM is set in the environment
// (for builds outside CMake).
std::string fake_binary() {
  const char* env = std::getenv("SOVGW_FAKE_UPSTREAM");
  return env && *env ? env : SOVGW_FAKE_UPSTREAM;
}

std::string as_string(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

int as_int(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? static_cast<int>(v->get_int64()) : 0;
}

FakeRequest to_request(const json::object& o) {
  FakeRequest r;
  r.seq = as_int(o, "seq");
  r.method = as_string(o, "method");
  r.target = as_string(o, "target");
  r.body = as_string(o, "body");
  r.connection = as_int(o, "connection");
  r.outcome = as_string(o, "outcome");
  r.chunks_sent = as_int(o, "chunks_sent");
  if (auto* h = o.if_contains("headers"); h && h->is_object()) {
    for (const auto& [k, v] : h->get_object()) {
      if (v.is_string()) r.headers.emplace(std::string(k), std::string(v.get_string()));
    }
  }
  return r;
}

}  // namespace

std::string FakeRequest::header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

FakeUpstream::FakeUpstream(const TempDir& dir, std::string name) : FakeUpstream(dir, Options{.name = std::move(name)}) {}

FakeUpstream::FakeUpstream(const TempDir& dir, Options options)
    : options_(std::move(options)), http_(std::chrono::milliseconds(3000)) {
  std::vector<std::string> args = {"--listen", "127.0.0.1:0", "--name", options_.name};
  bool tls = !options_.tls_cert.empty() && !options_.tls_key.empty();
  if (tls) args.insert(args.end(), {"--tls-cert", options_.tls_cert, "--tls-key", options_.tls_key});
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  process_ = std::make_unique<ChildProcess>(ChildProcess::Options{
      .program = fake_binary(),
      .args = std::move(args),
      .env = {},
      .stderr_path = dir.file("fake-" + options_.name + ".stderr.log"),
  });
  auto line = process_->wait_for_line("READY ", options_.ready_timeout);
  auto pos = line ? line->find("port=") : std::string::npos;
  if (pos != std::string::npos) port_ = static_cast<std::uint16_t>(std::atoi(line->c_str() + pos + 5));
  if (port_ == 0) {
    auto code = process_->stop(std::chrono::milliseconds(1000));
    throw std::runtime_error("fake_upstream " + options_.name + " did not become ready (exit " + std::to_string(code) +
                             ", stdout line: " + line.value_or("none") + "); stderr:\n" + log());
  }
  origin_ = std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

FakeUpstream::~FakeUpstream() = default;

HttpResponse FakeUpstream::control(std::string_view method, std::string_view path, std::string_view body) {
  HttpResponse r = http_.request(method, url(path), body);
  if (!r.error.empty() || r.status / 100 != 2) {
    throw std::runtime_error("fake " + options_.name + ": " + std::string(method) + " " + std::string(path) +
                             " failed (" + (r.error.empty() ? "status " + std::to_string(r.status) : r.error) +
                             "): " + r.body + "\nstderr:\n" + log());
  }
  return r;
}

std::vector<FakeRequest> FakeUpstream::requests() {
  HttpResponse r = control("GET", "/_fake/requests");
  json::value v = json::parse(r.body);
  std::vector<FakeRequest> out;
  for (const auto& item : v.as_array()) out.push_back(to_request(item.as_object()));
  return out;
}

void FakeUpstream::clear() { control("DELETE", "/_fake/requests"); }

void FakeUpstream::script(std::string_view queue_json, std::string_view default_json) {
  json::object body;
  body["queue"] = json::parse(queue_json);
  if (!default_json.empty()) body["default"] = json::parse(default_json);
  control("POST", "/_fake/script", json::serialize(body));
}

void FakeUpstream::clear_script() { control("DELETE", "/_fake/script"); }

FakeStats FakeUpstream::stats() {
  json::object o = json::parse(control("GET", "/_fake/stats").body).as_object();
  return FakeStats{as_int(o, "connections_accepted"), as_int(o, "connections_open"), as_int(o, "requests")};
}

FakeRequest FakeUpstream::wait_for_outcome(int seq, std::string_view outcome, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  FakeRequest last;
  for (;;) {
    for (auto& r : requests()) {
      if (r.seq == seq) last = std::move(r);
    }
    if (last.outcome == outcome || Clock::now() >= deadline) return last;
    std::this_thread::sleep_for(kPollStep);
  }
}

std::vector<FakeRequest> FakeUpstream::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto all = requests();
    if (all.size() >= n || Clock::now() >= deadline) return all;
    std::this_thread::sleep_for(kPollStep);
  }
}

}  // namespace sovgw::testing
