// Self-tests of the integration-test harness pieces that need no server: TempDir and ChildProcess
// (spawn, READY-line wait, stderr capture, exit codes, SIGTERM/SIGKILL), and HttpClient errors.
#include <signal.h>

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

ChildProcess shell(const TempDir& dir, std::string script, std::vector<std::pair<std::string, std::string>> env = {}) {
  return ChildProcess(ChildProcess::Options{
      .program = "/bin/sh",
      .args = {"-c", std::move(script)},
      .env = std::move(env),
      .stderr_path = dir.file("sh.stderr.log"),
      .stop_grace = 2000ms,
  });
}

TEST_CASE("TempDir: a fresh directory, removed at the end") {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    CHECK(std::filesystem::is_directory(path));
    std::string file = dir.write("a.toml", "x = 1\n");
    CHECK(file == path + "/a.toml");
    CHECK(dir.read("a.toml") == "x = 1\n");
    CHECK(dir.read("missing") == "");
    TempDir other;
    CHECK(other.path() != path);
  }
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("ChildProcess: READY line, stderr file, SIGTERM on stop") {
  TempDir dir;
  ChildProcess p = shell(dir, "echo starting; echo 'to stderr' >&2; echo \"READY port=$PORT\"; exec sleep 30",
                         {{"PORT", "1234"}});
  auto line = p.wait_for_line("READY ", 5s);
  REQUIRE(line);
  CHECK(*line == "READY port=1234");
  CHECK(p.stdout_lines() == std::vector<std::string>{"starting", "READY port=1234"});
  CHECK(p.stderr_text() == "to stderr\n");
  CHECK(p.running());
  CHECK(p.stop() == 128 + SIGTERM);
  CHECK_FALSE(p.running());
}

TEST_CASE("ChildProcess: exit codes") {
  TempDir dir;
  ChildProcess p = shell(dir, "exit 3");
  CHECK(p.wait_exit(5s) == 3);
  CHECK(p.wait_exit(0ms) == 3);  // remembered after reaping
  CHECK(p.stop() == 3);          // no signal to a reaped child

  ChildProcess q = shell(dir, "exec sleep 30");
  CHECK_FALSE(q.wait_exit(50ms).has_value());
  q.signal(SIGKILL);
  CHECK(q.wait_exit(5s) == 128 + SIGKILL);
}

TEST_CASE("ChildProcess: wait_for_line gives up when stdout closes or the deadline passes") {
  TempDir dir;
  {
    ChildProcess p = shell(dir, "echo nothing useful");
    auto t0 = Clock::now();
    CHECK_FALSE(p.wait_for_line("READY ", 5s).has_value());
    CHECK(Clock::now() - t0 < 2s);  // returned at EOF, not at the deadline
    CHECK(p.wait_exit(5s) == 0);
  }
  {
    ChildProcess p = shell(dir, "exec sleep 30");
    auto t0 = Clock::now();
    CHECK_FALSE(p.wait_for_line("READY ", 100ms).has_value());
    CHECK(Clock::now() - t0 >= 100ms);
  }
}

TEST_CASE("ChildProcess: a child ignoring SIGTERM is killed after the grace period") {
  TempDir dir;
  ChildProcess p = shell(dir, "trap '' TERM; echo READY; exec sleep 30");
  REQUIRE(p.wait_for_line("READY", 5s));
  auto t0 = Clock::now();
  CHECK(p.stop(200ms) == 128 + SIGKILL);
  CHECK(Clock::now() - t0 >= 200ms);
}

TEST_CASE("ChildProcess: a program that cannot be started throws") {
  TempDir dir;
  CHECK_THROWS_AS(ChildProcess(ChildProcess::Options{.program = dir.file("no-such-program")}), std::runtime_error);
}

TEST_CASE("HttpClient: errors are values") {
  HttpClient http(1000ms);
  CHECK(http.get("ftp://127.0.0.1/").error == "bad url");
  CHECK(http.get("http://127.0.0.1:notaport/").error != "");
  CHECK(http.raw("nope", "x").send_error == "bad url");

  // Port 1 on loopback: nothing listens there.
  HttpResponse r = http.get("http://127.0.0.1:1/");
  CHECK(r.status == 0);
  CHECK(r.error == "refused");
}

}  // namespace
}  // namespace sovgw::testing
