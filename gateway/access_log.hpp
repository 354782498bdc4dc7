// AccessLog: one JSON line per finished request (the RequestRecord the Pipeline hands over), to
// stderr or appended to a file, for operators and log pipelines. It carries names, counts, classes
// and durations only: never prompt text, PII values (only detector ids and counts) or keys, and
// a model name only when it is a configured one.
//
// Threading: write() formats the line on the calling worker thread and appends it to that
// worker's own buffer (a mutex no other worker takes); one background thread swaps the buffers
// out every 100 ms, or sooner when one fills, and writes them, so no I/O thread ever waits on the
// disk. A buffer that grows past its cap (the disk stalled) drops lines and counts them.
//
//   auto log = AccessLog::open(config.access_log, worker_count);   // Result: the file may not open
//   (*log)->write(worker.index(), record);                           // hot path, never blocks on I/O
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.hpp"
#include "gateway/config.hpp"

namespace sovgw {

struct RequestRecord;

class AccessLog {
 public:
  // Opens the destination (config.path: "" or "-" for stderr, else a file opened for appending)
  // and starts the writer thread. `shards`: the number of worker threads.
  static Result<std::unique_ptr<AccessLog>> open(const AccessLogConfig& config, unsigned shards);
  // Writes everything still buffered, then stops the writer.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Worker thread `worker` (< shards) only: queue one line for `record`.
  void write(unsigned worker, const RequestRecord& record);

  // Any thread: blocks until every line queued before the call has been handed to the kernel.
  void flush();
  // Any thread: the writer reopens the file before its next write (log rotation; SIGHUP).
  void reopen();
  // Lines dropped so far because the writer fell behind or the write failed.
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  // Appends the JSON line for `record`, ending in '\n', to `out`.
  static void format(const RequestRecord& record, std::string& out);

 private:
  struct Buffer;
  AccessLog(std::string path, int fd, unsigned shards);
  void run();    // writer thread
  void drain();  // writer thread: swap out every buffer and write it
  void write_out(const std::string& text);
  void reopen_file();

  const std::string path_;  // "" = stderr
  int fd_;
  std::vector<std::unique_ptr<Buffer>> buffers_;  // one per worker
  std::string spare_;                             // writer thread: the buffer swapped out
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<bool> urgent_{false};  // a buffer passed the flush size
  std::atomic<bool> reopen_{false};

  std::mutex mutex_;  // guards the fields below; never held while writing
  std::condition_variable wake_;
  std::condition_variable done_;
  bool stop_ = false;
  std::uint64_t flush_requested_ = 0;
  std::uint64_t flush_done_ = 0;
  std::thread writer_;  // last: started once everything above exists
};

}  // namespace sovgw
