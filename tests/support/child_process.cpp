// ChildProcess: see child_process.hpp. fork/exec rather than posix_spawn for PR_SET_PDEATHSIG and
// to mark every inherited descriptor close-on-exec (Asio opens sockets without SOCK_CLOEXEC; a
// child inheriting a test's client socket would keep that connection open after the test closed it).
#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace sovgw::testing {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

std::string find_in_path(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    std::string candidate = std::string(dirs.substr(0, colon)) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return program;  // exec will fail with ENOENT and say so
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Rounded up: a wait must never end before its deadline (truncating returned up to 1 ms early).
int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(std::min<long long>(left, INT_MAX));
}

// Only async-signal-safe calls between fork and exec: the parent has other threads.
[[noreturn]] void exec_child(pid_t parent, int out_w, int err_w, const char* stderr_path, const char* program,
                             char* const* argv, char* const* envp) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect

  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  ::signal(SIGINT, SIG_DFL);

  // Any failure is reported through the error pipe as the child's errno.
  bool redirected = ::dup2(out_w, 1) >= 0;
  int in = ::open("/dev/null", O_RDONLY);
  redirected = redirected && in >= 0 && ::dup2(in, 0) >= 0;
  if (redirected && stderr_path != nullptr) {
    int fd = ::open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    redirected = fd >= 0 && ::dup2(fd, 2) >= 0;
  }
  // Everything else (inherited sockets, other children's pipes) closes at exec; the error pipe
  // stays usable until then.
  if (redirected && ::syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) != 0) {
    for (int fd = 3; fd < 4096; ++fd) {
      if (fd != err_w) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
  }
  if (redirected) ::execve(program, argv, envp);
  int e = errno;
  [[maybe_unused]] auto n = ::write(err_w, &e, sizeof e);
  ::_exit(127);
}

}  // namespace

ChildProcess::ChildProcess(Options options) : options_(std::move(options)) {
  spawn();
  reader_ = std::thread([this] { read_stdout(); });
}

ChildProcess::~ChildProcess() {
  if (!exit_code_) stop(options_.stop_grace);
  if (reader_.joinable()) {
    char c = 'x';
    [[maybe_unused]] auto n = ::write(wake_fd_[1], &c, 1);
    reader_.join();
  }
  for (int fd : {stdout_fd_, wake_fd_[0], wake_fd_[1], pidfd_}) {
    if (fd >= 0) ::close(fd);
  }
}

void ChildProcess::spawn() {
  // Everything exec needs is built before fork.
  std::string program = find_in_path(options_.program);
  std::vector<std::string> argv_s;
  argv_s.push_back(program);
  argv_s.insert(argv_s.end(), options_.args.begin(), options_.args.end());
  std::vector<std::string> env_s;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    std::string_view name = kv.substr(0, kv.find('='));
    bool replaced = false;
    for (const auto& [k, v] : options_.env) replaced = replaced || k == name;
    if (!replaced) env_s.emplace_back(kv);
  }
  for (const auto& [k, v] : options_.env) env_s.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);
  const char* stderr_path = options_.stderr_path.empty() ? nullptr : options_.stderr_path.c_str();

  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) fail("pipe2");
  if (::pipe2(err, O_CLOEXEC) != 0) fail("pipe2");
  if (::pipe2(wake_fd_, O_CLOEXEC) != 0) fail("pipe2");

  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) fail("fork");
  if (pid_ == 0) exec_child(parent, out[1], err[1], stderr_path, program.c_str(), argv.data(), envp.data());

  ::close(out[1]);
  ::close(err[1]);
  stdout_fd_ = out[0];
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(err[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(err[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_code_ = decode_status(status);
    for (int* fd : {&stdout_fd_, &wake_fd_[0], &wake_fd_[1]}) {
      ::close(*fd);
      *fd = -1;
    }
    errno = child_errno;
    fail("cannot start " + program);
  }
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
}

void ChildProcess::read_stdout() {
  char buf[4096];
  for (;;) {
    pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {wake_fd_[0], POLLIN, 0}};
    int r = ::poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (fds[1].revents & POLLIN)) break;
    ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard lock(mutex_);
    partial_.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = partial_.substr(start, nl - start);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines_.push_back(std::move(line));
    }
    partial_.erase(0, start);
    cv_.notify_all();
  }
  std::lock_guard lock(mutex_);
  stdout_closed_ = true;
  cv_.notify_all();
}

std::optional<std::string> ChildProcess::wait_for_line(std::string_view prefix, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<std::string> found;
  cv_.wait_for(lock, timeout, [&] {
    for (const auto& l : lines_) {
      if (l.starts_with(prefix)) {
        found = l;
        return true;
      }
    }
    return stdout_closed_;
  });
  return found;
}

std::vector<std::string> ChildProcess::stdout_lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

void ChildProcess::signal(int sig) {
  if (!exit_code_ && pid_ > 0) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::try_reap() {
  if (exit_code_) return exit_code_;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) exit_code_ = decode_status(status);
  return exit_code_;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto code = try_reap()) return code;
    int left = ms_until(deadline);
    if (left == 0) return std::nullopt;
    if (pidfd_ >= 0) {
      pollfd fd{pidfd_, POLLIN, 0};
      ::poll(&fd, 1, left);  // readable when the child has exited
    } else {
      pollfd none{-1, 0, 0};
      ::poll(&none, 1, std::min(left, 10));  // no pidfd: poll waitpid in short steps
    }
  }
}

bool ChildProcess::running() { return !try_reap().has_value(); }

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (auto code = try_reap()) return *code;
  signal(SIGTERM);
  if (auto code = wait_exit(grace)) return *code;
  signal(SIGKILL);
  return wait_exit(std::chrono::seconds(30)).value_or(-1);
}

std::string ChildProcess::stderr_text() const {
  if (options_.stderr_path.empty()) return {};
  std::ifstream in(options_.stderr_path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace sovgw::testing
