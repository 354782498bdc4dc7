// AccessLog's buffers and writer thread (the line format is in access_log_format.cpp).
#include "gateway/access_log.hpp"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "gateway/log.hpp"

namespace sovgw {

namespace {

constexpr auto kFlushInterval = std::chrono::milliseconds(100);
constexpr std::size_t kUrgentBytes = 64 * 1024;             // wake the writer early past this
constexpr std::size_t kMaxBufferedBytes = 8 * 1024 * 1024;  // per worker; beyond, drop lines

int open_append(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

std::uint64_t count_lines(std::string_view text) {
  return static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

// One worker's pending lines. Its own cache line: workers never share one.
struct alignas(64) AccessLog::Buffer {
  std::mutex mutex;
  std::string text;
};

Result<std::unique_ptr<AccessLog>> AccessLog::open(const AccessLogConfig& config, unsigned shards) {
  const bool to_stderr = config.path.empty() || config.path == "-";
  int fd = STDERR_FILENO;
  if (!to_stderr) {
    fd = open_append(config.path);
    if (fd < 0) {
      return make_error(ErrorCode::kInternal, ErrorSource::kInternal, false,
                        "cannot open access log " + config.path + ": " + std::strerror(errno));
    }
  }
  return std::unique_ptr<AccessLog>(new AccessLog(to_stderr ? "" : config.path, fd, std::max(1u, shards)));
}

AccessLog::AccessLog(std::string path, int fd, unsigned shards) : path_(std::move(path)), fd_(fd) {
  for (unsigned i = 0; i < shards; ++i) buffers_.push_back(std::make_unique<Buffer>());
  writer_ = std::thread([this] { run(); });
}

AccessLog::~AccessLog() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  writer_.join();
  if (!path_.empty()) ::close(fd_);
}

void AccessLog::write(unsigned worker, const RequestRecord& record) {
  thread_local std::string line;  // formatting allocates nothing once warm
  line.clear();
  format(record, line);
  Buffer& buffer = *buffers_[worker % buffers_.size()];
  std::size_t size = 0;
  {
    std::lock_guard lock(buffer.mutex);
    if (buffer.text.size() + line.size() > kMaxBufferedBytes) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    buffer.text += line;
    size = buffer.text.size();
  }
  if (size >= kUrgentBytes && !urgent_.exchange(true, std::memory_order_relaxed)) wake_.notify_one();
}

void AccessLog::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = ++flush_requested_;
  wake_.notify_one();
  done_.wait(lock, [&] { return flush_done_ >= ticket || stop_; });
}

void AccessLog::reopen() {
  reopen_.store(true);
  wake_.notify_one();
}

void AccessLog::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, kFlushInterval, [&] {
      return stop_ || flush_requested_ > flush_done_ || urgent_.load(std::memory_order_relaxed) ||
             reopen_.load(std::memory_order_relaxed);
    });
    const bool stopping = stop_;
    const std::uint64_t ticket = flush_requested_;
    lock.unlock();
    urgent_.store(false, std::memory_order_relaxed);
    if (reopen_.exchange(false)) reopen_file();
    drain();
    lock.lock();
    flush_done_ = ticket;
    done_.notify_all();
    if (stopping) return;
  }
}

void AccessLog::drain() {
  for (auto& buffer : buffers_) {
    {
      std::lock_guard lock(buffer->mutex);
      if (buffer->text.empty()) continue;
      std::swap(buffer->text, spare_);  // the worker keeps appending to an empty string
    }
    write_out(spare_);
    spare_.clear();
  }
}

// Whole lines only. To a pipe (stderr), each write(2) carries at most PIPE_BUF bytes so the
// process log's own lines can never land inside an access log line.
void AccessLog::write_out(const std::string& text) {
  std::string_view rest = text;
  const bool chunked = path_.empty();
  while (!rest.empty()) {
    std::size_t n = rest.size();
    if (chunked && n > PIPE_BUF) {
      const auto cut = rest.rfind('\n', PIPE_BUF - 1);
      n = cut == std::string_view::npos ? rest.find('\n') + 1 : cut + 1;  // a longer line goes alone
      if (n == 0) n = rest.size();
    }
    const ssize_t written = ::write(fd_, rest.data(), n);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      dropped_.fetch_add(count_lines(rest), std::memory_order_relaxed);
      return;
    }
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

void AccessLog::reopen_file() {
  if (path_.empty()) return;
  const int fd = open_append(path_);
  if (fd < 0) {
    log_warn("cannot reopen access log " + path_ + ": " + std::strerror(errno) + "; still writing to the old file");
    return;
  }
  ::close(fd_);
  fd_ = fd;
}

}  // namespace sovgw
