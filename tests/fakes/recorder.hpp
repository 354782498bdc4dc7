// Recorder: what fake_upstream saw — every /v1 request with its outcome — and connection counts,
// served by GET /_fake/requests and GET /_fake/stats. Requests are recorded before any answer is
// written, then updated as the answer progresses. Thread-safe: internally synchronised.
//
//   auto seq = recorder.record(std::move(rec));
//   recorder.add_chunk(seq);
//   recorder.set_outcome(seq, Outcome::kCompleted);
#pragma once

#include <boost/json/fwd.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace sovgw::fake {

enum class Outcome {
  kStreaming,     // the answer is being prepared or sent (any answer, JSON too)
  kCompleted,     // the scripted answer was sent in full (for close_after: up to the close)
  kClientClosed,  // the peer closed before the answer was fully sent
  kReset,         // we reset the connection (action reset)
  kHanging,       // we are deliberately silent (hang, stall_after) and the peer is still there
};

struct RequestRecord {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, arrival order
  std::string body;
  std::uint64_t connection = 0;
  std::string action;  // the behaviour's action name
};

class Recorder {
 public:
  // limit: how many of the most recent requests to keep (0 keeps none; seq still counts).
  explicit Recorder(std::size_t limit) : limit_(limit) {}

  // Stores the request and returns its sequence number (1, 2, ...; never reused).
  std::uint64_t record(RequestRecord record);
  void set_outcome(std::uint64_t seq, Outcome outcome);
  void add_chunk(std::uint64_t seq);
  void clear();  // forgets the requests; seq and the counters keep counting

  std::uint64_t connection_opened();  // returns the connection's id
  void connection_closed();

  std::string requests_json() const;
  std::string stats_json() const;

 private:
  struct Entry {
    RequestRecord request;
    Outcome outcome = Outcome::kStreaming;
    std::uint64_t chunks_sent = 0;
  };

  const std::size_t limit_;
  mutable std::mutex mutex_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t requests_ = 0;
  std::uint64_t connections_accepted_ = 0;
  std::uint64_t connections_open_ = 0;
};

std::string_view outcome_name(Outcome outcome);

}  // namespace sovgw::fake
