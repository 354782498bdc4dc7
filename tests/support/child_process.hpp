// ChildProcess: runs a program (sovgw, fake_upstream, a shell) for an integration test. Its stdout
// is read by a background thread so a test can wait for a line such as `READY ...` under a
// deadline; its stderr goes to a file (normally in the test's TempDir) for printing on failure.
// The destructor sends SIGTERM, then SIGKILL after a grace period; the child also gets SIGKILL if
// the thread that started it dies (PR_SET_PDEATHSIG), so a crashed test leaves nothing behind.
// Signals go only to this child's own PID, and never after it was reaped. Not thread-safe: use
// one ChildProcess from one test thread (the internal reader thread is synchronised).
//
//   ChildProcess p({.program = "/bin/sh", .args = {"-c", "echo READY x; exec sleep 30"},
//                   .stderr_path = dir.file("sh.log")});
//   auto line = p.wait_for_line("READY ", 5s);  // "READY x"
//   int code = p.stop();                        // 143: killed by SIGTERM
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace sovgw::testing {

class ChildProcess {
 public:
  struct Options {
    std::string program{};  // absolute path, or a name looked up in PATH
    std::vector<std::string> args{};  // without argv[0]
    std::vector<std::pair<std::string, std::string>> env{};  // added to (or replacing) the parent's
    std::string stderr_path{};  // file receiving the child's stderr (truncated); "" = inherit ours
    std::chrono::milliseconds stop_grace{3000};  // destructor: SIGTERM, then SIGKILL after this
  };

  // Starts the program. Throws std::runtime_error if it cannot be started (exec failure included).
  explicit ChildProcess(Options options);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The first stdout line (without its line ending) that starts with `prefix`, waiting up to
  // `timeout`; nullopt if none arrived in time or stdout was closed (the child exited) first.
  std::optional<std::string> wait_for_line(std::string_view prefix, std::chrono::milliseconds timeout);
  // Every complete stdout line so far.
  std::vector<std::string> stdout_lines() const;

  // Sends `sig` if the child has not been reaped yet.
  void signal(int sig);
  // Waits up to `timeout` for the child to exit. Returns its exit status, or 128+N when it was
  // killed by signal N (the shell's convention); nullopt if it is still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();
  // SIGTERM, wait up to `grace`, then SIGKILL; returns the exit code as wait_exit does.
  int stop(std::chrono::milliseconds grace);
  int stop() { return stop(options_.stop_grace); }

  const std::string& stderr_path() const { return options_.stderr_path; }
  // Contents of the stderr file so far ("" when stderr is inherited).
  std::string stderr_text() const;

 private:
  void spawn();
  void read_stdout();  // reader thread body
  std::optional<int> try_reap();

  Options options_;
  pid_t pid_ = -1;
  int pidfd_ = -1;       // to wait for the exit without polling; -1 if pidfd_open is unavailable
  int stdout_fd_ = -1;   // read end of the child's stdout pipe
  int wake_fd_[2] = {-1, -1};  // tells the reader thread to stop
  std::optional<int> exit_code_;  // set once reaped

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;  // guarded by mutex_
  std::string partial_;             // reader thread only
  bool stdout_closed_ = false;      // guarded by mutex_
  std::thread reader_;
};

}  // namespace sovgw::testing
