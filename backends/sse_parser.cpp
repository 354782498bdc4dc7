// SseParser: see sse_parser.hpp. Lines are parsed as soon as they are complete, so each byte is
// scanned once; the fields accumulate in current_, whose strings are reused from event to event, so
// a long stream allocates nothing once the buffers have grown to the size of its largest event.
#include "backends/sse_parser.hpp"

#include <algorithm>

namespace sovgw::backends {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

}  // namespace

bool SseParser::feed(std::string_view bytes, const std::function<void(const SseEvent&)>& on_event) {
  if (failed_) return false;
  compact();
  buffer_.append(bytes.data(), bytes.size());

  if (!bom_checked_) {
    std::string_view head(buffer_.data() + consumed_, buffer_.size() - consumed_);
    std::size_t n = std::min(head.size(), kBom.size());
    if (head.substr(0, n) != kBom.substr(0, n)) {
      bom_checked_ = true;
    } else if (n == kBom.size()) {
      bom_checked_ = true;
      consumed_ += kBom.size();  // not part of any event's raw bytes
      scan_ = consumed_;
    } else {
      return true;  // a prefix of the BOM: wait for the next byte to decide
    }
  }
  return parse_lines(on_event);
}

void SseParser::reset() {
  buffer_.clear();
  consumed_ = 0;
  scan_ = 0;
  eol_search_ = 0;
  bom_checked_ = false;
  failed_ = false;
  event_started_ = false;
  current_.event.clear();
  current_.data.clear();
  current_.id.clear();
  current_.has_data = false;
  current_.raw = {};
}

// Drops the bytes of events already handed out. Only the tail of an unfinished event is moved, and
// only once per feed, so the cost is bounded by the bytes received.
void SseParser::compact() {
  if (consumed_ == 0) return;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
  } else {
    buffer_.erase(0, consumed_);
  }
  scan_ -= consumed_;
  eol_search_ = eol_search_ > consumed_ ? eol_search_ - consumed_ : 0;
  consumed_ = 0;
}

bool SseParser::parse_lines(const std::function<void(const SseEvent&)>& on_event) {
  const char* base = buffer_.data();
  const std::size_t size = buffer_.size();
  std::size_t pos = scan_;
  while (pos < size) {
    // Find the end of the line: LF, CR or CRLF. eol_search_ remembers how far an incomplete line
    // was already searched, so a long line arriving in many pieces is not rescanned each time.
    std::size_t eol = std::max(pos, eol_search_);
    while (eol < size && base[eol] != '\n' && base[eol] != '\r') ++eol;
    if (eol == size) {
      eol_search_ = size;
      break;  // incomplete line
    }
    std::size_t next = eol + 1;
    if (base[eol] == '\r') {
      // A CR as the last byte may be the first half of a CRLF: wait, so that raw (and the place
      // the next event starts) do not depend on where the stream was split.
      if (next == size) {
        eol_search_ = eol;
        break;
      }
      if (base[next] == '\n') ++next;
    }

    std::string_view line(base + pos, eol - pos);
    if (!line.empty()) {
      event_started_ = true;
      parse_field(line);
    } else if (event_started_) {
      std::size_t raw_size = next - consumed_;
      if (raw_size > max_event_bytes_) {
        failed_ = true;
        return false;
      }
      current_.raw = std::string_view(base + consumed_, raw_size);
      on_event(current_);
      current_.raw = {};
      current_.event.clear();
      current_.data.clear();
      current_.id.clear();
      current_.has_data = false;
      event_started_ = false;
      consumed_ = next;
    } else {
      consumed_ = next;  // a stray blank line between events belongs to no event
    }
    pos = next;
  }
  scan_ = pos;
  if (buffer_.size() - consumed_ > max_event_bytes_) {
    failed_ = true;
    return false;
  }
  return true;
}

void SseParser::parse_field(std::string_view line) {
  if (line.front() == ':') return;  // comment
  std::string_view name = line;
  std::string_view value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    name = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (name == "data") {
    if (current_.has_data) current_.data.push_back('\n');
    current_.data.append(value.data(), value.size());
    current_.has_data = true;
  } else if (name == "event") {
    current_.event.assign(value.data(), value.size());
  } else if (name == "id") {
    // WHATWG: an id containing NUL is ignored.
    if (value.find('\0') == std::string_view::npos) current_.id.assign(value.data(), value.size());
  }
  // `retry` and unknown fields are ignored.
}

}  // namespace sovgw::backends
