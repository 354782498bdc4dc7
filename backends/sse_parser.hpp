// SseParser: incremental parser for text/event-stream bodies (WHATWG SSE rules), used to relay
// upstream streams event by event. Bytes arrive in arbitrary pieces; each complete event is handed
// out exactly once with its raw bytes (for pass-through without re-serialising) and its fields.
// Not thread-safe: one parser per stream.
//
//   SseParser p;
//   p.feed(bytes, [&](const SseEvent& ev) { if (ev.data == "[DONE]") done = true; relay(ev.raw); });
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace sovgw::backends {

struct SseEvent {
  std::string_view raw;  // the event's bytes exactly as received, through its terminating blank line
  std::string event;     // value of the last `event:` field, "" when absent
  std::string data;      // `data:` lines joined with '\n' (one leading space after the colon removed)
  std::string id;        // value of the last `id:` field, "" when absent
  bool has_data = false; // at least one `data:` line (false for comment-only blocks like ": keep-alive")
};

class SseParser {
 public:
  // Largest incomplete event kept while waiting for its end; a longer one is a protocol error.
  explicit SseParser(std::size_t max_event_bytes = 4 * 1024 * 1024) : max_event_bytes_(max_event_bytes) {}

  // Consumes `bytes`; calls on_event for each event completed by them, in order. Line endings may
  // be LF, CRLF or CR, mixed, and split anywhere. A leading UTF-8 BOM on the stream is skipped.
  // A CR that is the last byte fed so far waits for the next byte (it may start a CRLF), so with
  // bare-CR line endings an event comes out when the next byte arrives.
  // Returns false (and stops) if an incomplete event grew past max_event_bytes.
  bool feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event);

  // Bytes of an event that has started but not ended (what a stream cut mid-event leaves).
  std::size_t pending_bytes() const { return buffer_.size() - consumed_; }

  void reset();

 private:
  // Parses the complete lines from scan_ on; returns false on an oversized event.
  bool parse_lines(const std::function<void(const SseEvent&)>& on_event);
  void parse_field(std::string_view line);
  void compact();

  std::size_t max_event_bytes_;
  std::string buffer_;       // unconsumed bytes (consumed_ marks the start of the current event)
  std::size_t consumed_ = 0;
  std::size_t scan_ = 0;     // start of the first line of the current event not yet parsed
  std::size_t eol_search_ = 0;  // how far the line starting at scan_ was searched for its end
  bool bom_checked_ = false;
  bool failed_ = false;      // an oversized event was seen; every later feed returns false
  bool event_started_ = false;  // the current event has at least one (field or comment) line
  SseEvent current_;         // fields parsed so far; its strings keep their capacity across events
};

}  // namespace sovgw::backends
