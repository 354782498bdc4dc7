// kill -9 loses no acknowledged audit record and never breaks the chain. A separate process
// (audit_store_tool crash-loop, so the child starts clean instead of forking this multi-threaded
// binary) appends in a loop and prints "ACK <seq>" after each flush(); the test kills it with
// SIGKILL at an arbitrary point of its writing, then checks that the store verifies and holds every
// acknowledged record, and that the next writer continues the same chain. Three rounds.
#include <doctest/doctest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include <boost/json.hpp>

#include "policy/audit_reader.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The crash-loop child; killed and reaped by the destructor if the test ends early.
class Writer {
 public:
  explicit Writer(const std::string& store) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      const char* argv[] = {SOVGW_AUDIT_STORE_TOOL, "crash-loop", store.c_str(), nullptr};
      ::execv(argv[0], const_cast<char**>(argv));
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~Writer() {
    kill();
    ::close(out_);
  }

  // Reads ACK lines until `count` arrived (true) or the child stops or `deadline` passes (false).
  bool read_acks(unsigned count, Clock::time_point deadline) {
    while (acks_ < count) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd p{out_, POLLIN, 0};
      if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0 || !read_some()) return false;
    }
    return true;
  }

  // SIGKILL to this child only, then reap it and read what it printed before dying.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    while (read_some()) {
    }
  }

  std::uint64_t last_ack() const { return last_ack_; }
  unsigned acks() const { return acks_; }

 private:
  bool read_some() {
    char buffer[4096];
    const auto n = ::read(out_, buffer, sizeof buffer);
    if (n <= 0) return false;
    pending_.append(buffer, static_cast<std::size_t>(n));
    for (auto eol = pending_.find('\n'); eol != std::string::npos; eol = pending_.find('\n')) {
      const std::string line = pending_.substr(0, eol);
      pending_.erase(0, eol + 1);
      if (line.starts_with("ACK ")) {
        last_ack_ = std::stoull(line.substr(4));
        ++acks_;
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::string pending_;
  std::uint64_t last_ack_ = 0;
  unsigned acks_ = 0;
};

// A store directory inside the shared test TempDir.
class TempDir {
 public:
  std::string store() const { return dir_.file("audit"); }

 private:
  sovgw::testing::TempDir dir_{"sovgw-audit-crash"};
};

// The request id of record `seq`, from an export of the whole store.
std::string request_id_of(sovgw::policy::AuditReader& reader, std::uint64_t seq) {
  std::ostringstream out;
  REQUIRE(reader.export_jsonl(std::nullopt, out));
  std::istringstream lines(out.str());
  std::string line;
  for (std::uint64_t i = 1; std::getline(lines, line); ++i) {
    if (i == seq) return std::string(boost::json::parse(line).at("record").at("request_id").as_string());
  }
  return "";
}

}  // namespace

TEST_CASE("audit log: kill -9 loses no acknowledged record and never breaks the chain") {
  TempDir dir;
  std::uint64_t acknowledged = 0;
  for (int round = 1; round <= 3; ++round) {
    CAPTURE(round);
    Writer writer(dir.store());
    REQUIRE(writer.read_acks(3, Clock::now() + std::chrono::seconds(30)));
    writer.kill();  // mid-batch, most likely: the child appends and writes without pause
    CHECK(writer.last_ack() > acknowledged);
    acknowledged = writer.last_ack();

    auto reader = sovgw::policy::AuditReader::open(dir.store());
    REQUIRE(reader);
    auto report = (*reader)->verify();
    INFO(report.detail);
    CHECK(report.ok());
    CHECK(report.head_seq >= acknowledged);  // every seq up to the head verified, so every ack is there
    CHECK(report.records_checked == report.head_seq);
    CHECK(request_id_of(**reader, acknowledged) == "req-" + std::to_string(acknowledged));
  }
}
