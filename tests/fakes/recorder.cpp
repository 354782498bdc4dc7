// The request log and connection counters behind /_fake/requests and /_fake/stats.
#include "recorder.hpp"

#include <boost/json.hpp>

namespace sovgw::fake {

namespace json = boost::json;

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kStreaming: return "streaming";
    case Outcome::kCompleted: return "completed";
    case Outcome::kClientClosed: return "client_closed";
    case Outcome::kReset: return "reset";
    case Outcome::kHanging: return "hanging";
  }
  return "unknown";
}

std::uint64_t Recorder::record(RequestRecord record) {
  std::lock_guard lock(mutex_);
  const auto seq = next_seq_++;
  ++requests_;
  if (limit_ == 0) return seq;
  entries_.emplace(seq, Entry{std::move(record)});
  while (entries_.size() > limit_) entries_.erase(entries_.begin());
  return seq;
}

void Recorder::set_outcome(std::uint64_t seq, Outcome outcome) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(seq); it != entries_.end()) it->second.outcome = outcome;
}

void Recorder::add_chunk(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(seq); it != entries_.end()) ++it->second.chunks_sent;
}

void Recorder::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

std::uint64_t Recorder::connection_opened() {
  std::lock_guard lock(mutex_);
  ++connections_open_;
  return ++connections_accepted_;
}

void Recorder::connection_closed() {
  std::lock_guard lock(mutex_);
  --connections_open_;
}

std::string Recorder::requests_json() const {
  std::lock_guard lock(mutex_);
  json::array out;
  out.reserve(entries_.size());
  for (const auto& [seq, entry] : entries_) {
    const auto& r = entry.request;
    json::object headers;
    for (const auto& [name, value] : r.headers) {
      // Repeated fields are joined the way HTTP allows folding them.
      if (auto* existing = headers.if_contains(name)) {
        existing->as_string().append(", ").append(value);
      } else {
        headers[name] = value;
      }
    }
    out.push_back(json::object{
        {"seq", seq},
        {"method", r.method},
        {"target", r.target},
        {"headers", std::move(headers)},
        {"body", r.body},
        {"connection", r.connection},
        {"action", r.action},
        {"outcome", outcome_name(entry.outcome)},
        {"chunks_sent", entry.chunks_sent},
    });
  }
  return json::serialize(out);
}

std::string Recorder::stats_json() const {
  std::lock_guard lock(mutex_);
  return json::serialize(json::object{
      {"connections_accepted", connections_accepted_},
      {"connections_open", connections_open_},
      {"requests", requests_},
  });
}

}  // namespace sovgw::fake
