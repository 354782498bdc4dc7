// Crash safety: a child process (this test binary, re-run on one test case) stores answers in a
// loop and acknowledges each one on a pipe; it is killed with SIGKILL mid-run, while RocksDB is
// writing, flushing and compacting. The database must then open and serve every acknowledged
// entry (writes are in the WAL before Put returns, and a torn WAL tail is dropped on recovery).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "cache/response_cache.hpp"
#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace {

namespace json = boost::json;
using sovgw::cache::AnswerKind;
using sovgw::cache::CacheOptions;
using sovgw::cache::ResponseCache;

constexpr const char* kChildEnv = "SOVGW_CACHE_CRASH_DIR";
constexpr int kAcksBeforeKill = 6000;  // ~12 MiB of values: several memtable flushes

CacheOptions crash_options(const std::string& dir) {
  CacheOptions options;
  options.path = dir + "/cache";
  options.max_bytes = 64ULL * 1024 * 1024;  // 4 MiB memtables: flushes happen during the run
  return options;
}

sovgw::cache::CacheKey key(int i) {
  return *sovgw::cache::make_cache_key("acme", "gpt-4o", "/chat/completions", json::object{{"i", i}});
}

std::string body(int i) {
  std::string text = R"({"id":"chatcmpl-)" + std::to_string(i) + R"(","pad":")";
  for (int j = 0; j < 2000; ++j) text.push_back(static_cast<char>('a' + (i * 31 + j * 7) % 26));
  return text + "\"}";
}

// Reads "ACK n" lines from `fd` until n reaches `target` or the deadline passes; returns the
// highest n seen (-1 for none).
int read_acks(int fd, int target, std::chrono::steady_clock::time_point deadline) {
  std::string buffer;
  int last = -1;
  while (last < target && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char chunk[4096];
    const auto n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (auto pos = buffer.find('\n'); pos != std::string::npos; pos = buffer.find('\n')) {
      const auto line = buffer.substr(0, pos);
      buffer.erase(0, pos + 1);
      if (line.rfind("ACK ", 0) == 0) last = std::atoi(line.c_str() + 4);
    }
  }
  return last;
}

}  // namespace

// The child's side: does nothing unless started by the test below.
TEST_CASE("cache crash writer child") {
  const char* dir = std::getenv(kChildEnv);
  if (!dir) return;
  auto cache = ResponseCache::open(crash_options(dir));
  if (!cache) std::_Exit(3);
  for (int i = 0; i < 1'000'000; ++i) {
    if (!(*cache)->store_blocking(key(i), AnswerKind::kChatCompletion, body(i))) std::_Exit(4);
    const std::string ack = "ACK " + std::to_string(i) + "\n";
    if (::write(STDOUT_FILENO, ack.data(), ack.size()) < 0) std::_Exit(5);
  }
  std::_Exit(6);  // never reached in the test: the parent kills first
}

TEST_CASE("response cache: kill -9 during a write-heavy run, reopen, every acknowledged entry is served") {
  sovgw::testing::TempDir dir("sovgw-cache-crash");
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  env_strings.push_back(std::string(kChildEnv) + "=" + dir.path());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string exe = "/proc/self/exe";
  std::string filter = "--test-case=cache crash writer child";
  std::string quiet = "--no-intro=true";
  char* argv[] = {exe.data(), filter.data(), quiet.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  pid_t child = 0;
  const int spawned = ::posix_spawn(&child, exe.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  REQUIRE(spawned == 0);

  const int last = read_acks(pipe_fds[0], kAcksBeforeKill, std::chrono::steady_clock::now() + std::chrono::seconds(60));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(pipe_fds[0]);
  REQUIRE(last >= kAcksBeforeKill);
  CHECK(WIFSIGNALED(status));

  auto reopened = ResponseCache::open(crash_options(dir.path()));
  if (!reopened) FAIL(reopened.error().detail);
  int missing = 0;
  for (int i = 0; i <= last; ++i) {
    auto found = (*reopened)->lookup_blocking(key(i));
    if (!found || found->body != body(i)) ++missing;
  }
  CHECK(missing == 0);
  // And it keeps working: new entries are stored and served.
  REQUIRE((*reopened)->store_blocking(key(-1), AnswerKind::kChatCompletion, body(-1)));
  CHECK((*reopened)->lookup_blocking(key(-1)));
}
