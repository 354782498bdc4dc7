// Shared pieces of the gateway_*_test.cpp integration tests: a builder for the sovgw config TOML
// (one [gateway] table with test-friendly defaults, backends, models), readers for the OpenAI error
// JSON and chat streams a client sees, a loopback port nobody listens on, and a monotonic stopwatch.
// Header-only; used from one test thread at a time.
//
//   TempDir dir;
//   FakeUpstream fake(dir, "alpha");
//   GatewayProcess gw(dir, ConfigText().backend("alpha", fake.base_url()).model("chat", {{"alpha", "fake-model"}}).str());
//   HttpResponse r = HttpClient().post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
//   check_openai_error(r.body, "model_not_found");
#pragma once

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/fake_upstream.hpp"
#include "tests/support/gateway_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace sovgw::testing {

namespace gwjson = boost::json;

// The sovgw config a test runs with. [gateway] and [admin] listen on port 0 with one worker (so
// upstream connection reuse is observable); `gateway()` adds lines to [gateway], `admin()` to [admin],
// `tables()` more tables at the end, `backend()` adds a
// [[backends]] entry (`extra` = more TOML lines for it), `model()` a [[models]] entry.
class ConfigText {
 public:
  ConfigText& gateway(std::string line) {
    gateway_ += line + "\n";
    return *this;
  }
  ConfigText& admin(std::string line) {
    admin_ += line + "\n";
    return *this;
  }
  // More top-level tables, after the models (e.g. "[access_log]\npath = ...").
  ConfigText& tables(std::string text) {
    tables_ += "\n" + text + "\n";
    return *this;
  }
  ConfigText& backend(std::string_view name, std::string_view base_url, std::string_view extra = "") {
    backends_ += "\n[[backends]]\nname = \"" + std::string(name) + "\"\nprotocol = \"openai\"\nbase_url = \"" +
                 std::string(base_url) + "\"\njurisdiction = \"KR\"\nlocal = true\n" + std::string(extra) + "\n";
    return *this;
  }
  // An Anthropic Messages backend (`origin` without /v1: http://127.0.0.1:PORT), foreign (US).
  ConfigText& anthropic_backend(std::string_view name, std::string_view origin, std::string_view extra = "") {
    backends_ += "\n[[backends]]\nname = \"" + std::string(name) + "\"\nprotocol = \"anthropic\"\nbase_url = \"" +
                 std::string(origin) + "\"\njurisdiction = \"US\"\n" + std::string(extra) + "\n";
    return *this;
  }
  // targets: {backend name, model name sent to it}, in order.
  ConfigText& model(std::string_view name, const std::vector<std::pair<std::string, std::string>>& targets) {
    models_ += "\n[[models]]\nname = \"" + std::string(name) + "\"\ntargets = [";
    for (std::size_t i = 0; i < targets.size(); ++i) {
      models_ += (i ? ", " : "") + std::string("{backend = \"") + targets[i].first + "\", model = \"" +
                 targets[i].second + "\"}";
    }
    models_ += "]\n";
    return *this;
  }
  std::string str() const {
    return "[gateway]\nlisten = \"127.0.0.1:0\"\nworkers = 1\n" + gateway_ + "\n[admin]\nlisten = \"127.0.0.1:0\"\n" +
           admin_ + backends_ + models_ + tables_;
  }

 private:
  std::string gateway_;
  std::string admin_;
  std::string tables_;
  std::string backends_;
  std::string models_;
};

// The usual one-fake setup: backend NAME at `fake`, model "chat" → NAME's "fake-model".
inline ConfigText one_backend(const FakeUpstream& fake, std::string_view extra = "") {
  ConfigText c;
  c.backend(fake.name(), fake.base_url(), extra).model("chat", {{fake.name(), "fake-model"}});
  return c;
}

// A chat completion request body for `model` with one user message.
inline std::string chat_body(std::string_view model, std::string_view content = "hi there", bool stream = false) {
  gwjson::object o{{"model", model},
                   {"messages", gwjson::array{gwjson::object{{"role", "user"}, {"content", content}}}}};
  if (stream) o["stream"] = true;
  return gwjson::serialize(o);
}

// Parses `body` as JSON; an unparsable body fails the test and yields null.
inline gwjson::value parse_json(std::string_view body) {
  gwjson::error_code ec;
  gwjson::value v = gwjson::parse(body, ec);
  INFO("body: " << body);
  CHECK_MESSAGE(!ec, "not JSON: " << ec.message());
  return ec ? gwjson::value() : v;
}

// Checks that `body` is OpenAI's error shape {"error":{"message","type","param","code"}} with
// `code`; returns the error object (empty if the shape is wrong).
inline gwjson::object check_openai_error(std::string_view body, std::string_view code) {
  INFO("body: " << body);
  gwjson::value v = parse_json(body);
  const gwjson::object* root = v.if_object();
  const gwjson::value* err = root ? root->if_contains("error") : nullptr;
  REQUIRE_MESSAGE((err && err->is_object()), "no error object");
  const gwjson::object& e = err->as_object();
  CHECK(e.contains("message"));
  CHECK(e.contains("type"));
  CHECK(e.contains("param"));
  REQUIRE(e.contains("code"));
  CHECK(e.at("code") == gwjson::value(code));
  if (const auto* m = e.if_contains("message")) CHECK((m->is_string() && !m->as_string().empty()));
  return e;
}

// The content a chat.completion.chunk stream carries, concatenated ([DONE] and error events skipped).
inline std::string stream_text(const SseStreamResult& s) {
  std::string text;
  for (const auto& data : s.events) {
    if (data == "[DONE]") continue;
    gwjson::error_code ec;
    gwjson::value v = gwjson::parse(data, ec);
    if (ec || !v.is_object()) continue;
    const auto* choices = v.as_object().if_contains("choices");
    if (!choices || !choices->is_array() || choices->as_array().empty()) continue;
    const auto* delta = choices->as_array()[0].as_object().if_contains("delta");
    if (!delta || !delta->is_object()) continue;
    if (const auto* c = delta->as_object().if_contains("content"); c && c->is_string()) text += c->get_string();
  }
  return text;
}

inline bool has_done(const SseStreamResult& s) {
  for (const auto& e : s.events) {
    if (e == "[DONE]") return true;
  }
  return false;
}

// A loopback TCP port with no listener: bound, read back, closed. (Another process could take it
// in between; the window is tiny and the kernel does not hand a just-freed port out again at once.)
inline std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind() failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline std::string closed_base_url() { return "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1"; }

// Absolute path of a test certificate in tests/fakes/certs/.
inline std::string cert_path(std::string_view name) {
  std::string path = SOVGW_SOURCE_DIR;  // appended step by step: g++ 12 warns (falsely) on a + chain
  path.append("/tests/fakes/certs/").append(name);
  return path;
}

// Milliseconds since construction, on the monotonic clock.
class Stopwatch {
 public:
  double ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// A plain TCP connection to 127.0.0.1:port that stays open (and silent) until destroyed; used to
// occupy a gateway connection slot.
class IdleConnection {
 public:
  explicit IdleConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("connect to port " + std::to_string(port) + " failed");
    }
  }
  ~IdleConnection() { close(); }
  IdleConnection(const IdleConnection&) = delete;
  IdleConnection& operator=(const IdleConnection&) = delete;
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace sovgw::testing
