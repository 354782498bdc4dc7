// The access log line: one JSON object per request, keys in a fixed order, absent numbers as null.
// Hand-written because it runs once per request on the worker thread: the caller's string is
// grown once to an upper bound of the line's size and written through a pointer (no DOM, no
// per-character capacity checks, no allocation once the string is warm). Only fields that cannot
// carry prompt text, PII values or keys:
//
//   {"time":"2025-01-02T03:04:05.678Z","request_id":"…","tenant":"default","api":"chat",
//    "model":"chat","stream":false,"data_class":"internal","status":200,"error_code":null,
//    "outcome":"ok","backend":"onprem","attempts":1,"upstream":[{"backend":"onprem","class":"ok",
//    "reason":"ok"}],"failovers":[],"bytes_in":120,"bytes_out":512,"input_tokens":12,
//    "output_tokens":40,"duration_ms":812.113,"upstream_ms":810.002,"overhead_ms":2.111,
//    "ttft_ms":null,"cache":"miss","policy_action":"allow","policy_rule":"default","pii":{}}
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "gateway/access_log.hpp"
#include "gateway/request_record.hpp"

namespace sovgw {

namespace {

// Writes into memory reserved beforehand (see bound()); never checks for room.
class LineWriter {
 public:
  explicit LineWriter(char* at) : p_(at) {}
  char* end() const { return p_; }

  void raw(std::string_view text) {
    std::memcpy(p_, text.data(), text.size());
    p_ += text.size();
  }
  void ch(char c) { *p_++ = c; }

  // A JSON string: quotes, backslashes and control characters escaped; other bytes as they are.
  void str(std::string_view value) {
    static constexpr char kHex[] = "0123456789abcdef";
    *p_++ = '"';
    for (char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        *p_++ = '\\';
        *p_++ = c;
      } else if (byte < 0x20) {
        raw("\\u00");
        *p_++ = kHex[byte >> 4];
        *p_++ = kHex[byte & 0xf];
      } else {
        *p_++ = c;
      }
    }
    *p_++ = '"';
  }
  void str_or_null(std::string_view value) {
    if (value.empty()) {
      raw("null");
    } else {
      str(value);
    }
  }

  void uint(std::uint64_t value) { p_ = std::to_chars(p_, p_ + 20, value).ptr; }
  void optional_uint(const std::optional<std::uint64_t>& value) {
    if (value) {
      uint(*value);
    } else {
      raw("null");
    }
  }

  // Milliseconds with three decimals ("1500.250"), by integer arithmetic: exact and cheap.
  void ms(std::chrono::nanoseconds d) {
    const auto us = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count());
    uint(static_cast<std::uint64_t>(us / 1000));
    *p_++ = '.';
    digits(static_cast<unsigned>(us % 1000), 3);
  }

  // RFC 3339, UTC, milliseconds: "2025-01-02T03:04:05.678Z" (the civil calendar of <chrono>, no
  // locale, no time zone lookup).
  void time(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(t);
    const auto day = floor<days>(ms);
    const year_month_day date{day};
    const hh_mm_ss<milliseconds> hms{ms - day};
    *p_++ = '"';
    digits(static_cast<unsigned>(static_cast<int>(date.year())), 4);
    *p_++ = '-';
    digits(static_cast<unsigned>(date.month()), 2);
    *p_++ = '-';
    digits(static_cast<unsigned>(date.day()), 2);
    *p_++ = 'T';
    digits(static_cast<unsigned>(hms.hours().count()), 2);
    *p_++ = ':';
    digits(static_cast<unsigned>(hms.minutes().count()), 2);
    *p_++ = ':';
    digits(static_cast<unsigned>(hms.seconds().count()), 2);
    *p_++ = '.';
    digits(static_cast<unsigned>(hms.subseconds().count()), 3);
    raw("Z\"");
  }

 private:
  void digits(unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) p_[i] = static_cast<char>('0' + value % 10);
    p_ += width;
  }

  char* p_;
};

// An upper bound of the line's length: every string may grow sixfold (\u00XX); the keys, numbers
// (at most 24 characters each) and punctuation fit in the fixed part.
std::size_t bound(const RequestRecord& r) {
  constexpr std::size_t kFixed = 1024;
  constexpr std::size_t kPerEntry = 64;
  std::size_t strings = r.request_id.size() + r.tenant.size() + r.api.size() + r.model.size() + r.data_class.size() +
                        r.error_code.size() + r.outcome.size() + r.backend.size() + r.cache_result.size() +
                        r.policy_action.size() + r.policy_rule.size();
  std::size_t entries = 0;
  for (const auto& a : r.attempts) strings += a.backend.size() + a.cls.size() + a.reason.size(), ++entries;
  for (const auto& f : r.failovers) strings += f.from.size() + f.to.size() + f.reason.size(), ++entries;
  for (const auto& p : r.pii) strings += p.detector.size(), ++entries;
  return kFixed + 6 * strings + kPerEntry * entries;
}

void upstream_attempts(LineWriter& w, const RequestRecord& r) {
  w.raw(",\"upstream\":[");
  for (std::size_t i = 0; i < r.attempts.size(); ++i) {
    w.raw(i ? ",{\"backend\":" : "{\"backend\":");
    w.str(r.attempts[i].backend);
    w.raw(",\"class\":");
    w.str(r.attempts[i].cls);
    w.raw(",\"reason\":");
    w.str(r.attempts[i].reason);
    w.ch('}');
  }
  w.raw("],\"failovers\":[");
  for (std::size_t i = 0; i < r.failovers.size(); ++i) {
    w.raw(i ? ",{\"from\":" : "{\"from\":");
    w.str(r.failovers[i].from);
    w.raw(",\"to\":");
    w.str(r.failovers[i].to);
    w.raw(",\"reason\":");
    w.str(r.failovers[i].reason);
    w.ch('}');
  }
  w.ch(']');
}

void durations(LineWriter& w, const RequestRecord& r) {
  w.raw(",\"duration_ms\":");
  w.ms(r.duration);
  w.raw(",\"upstream_ms\":");
  w.ms(r.upstream_duration);
  w.raw(",\"overhead_ms\":");
  w.ms(std::max(std::chrono::nanoseconds(0), r.duration - r.upstream_duration));
  w.raw(",\"ttft_ms\":");
  if (r.time_to_first_token) {
    w.ms(*r.time_to_first_token);
  } else {
    w.raw("null");
  }
}

void policy_and_pii(LineWriter& w, const RequestRecord& r) {
  w.raw(",\"cache\":");
  w.str(r.cache_result);
  w.raw(",\"policy_action\":");
  w.str(r.policy_action);
  w.raw(",\"policy_rule\":");
  w.str(r.policy_rule);
  w.raw(",\"pii\":{");
  for (std::size_t i = 0; i < r.pii.size(); ++i) {
    if (i) w.ch(',');
    w.str(r.pii[i].detector);
    w.ch(':');
    w.uint(r.pii[i].count);
  }
  w.ch('}');
}

}  // namespace

void AccessLog::format(const RequestRecord& r, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + bound(r));
  LineWriter w(out.data() + start);
  w.raw("{\"time\":");
  w.time(r.start_time.time_since_epoch().count() != 0 ? r.start_time : std::chrono::system_clock::now());
  w.raw(",\"request_id\":");
  w.str(r.request_id);
  w.raw(",\"tenant\":");
  w.str(r.tenant);
  w.raw(",\"api\":");
  w.str_or_null(r.api);
  // A name the client typed that is not configured could be anything: it is not logged.
  w.raw(",\"model\":");
  w.str(r.model_known ? std::string_view(r.model) : std::string_view("unknown"));
  w.raw(r.stream ? ",\"stream\":true,\"data_class\":" : ",\"stream\":false,\"data_class\":");
  w.str_or_null(r.data_class);
  w.raw(",\"status\":");
  w.uint(r.status);
  w.raw(",\"error_code\":");
  w.str_or_null(r.error_code);
  w.raw(",\"outcome\":");
  w.str_or_null(r.outcome);
  w.raw(",\"backend\":");
  w.str_or_null(r.backend);
  w.raw(",\"attempts\":");
  w.uint(r.attempts.size());
  upstream_attempts(w, r);
  w.raw(",\"bytes_in\":");
  w.uint(r.bytes_in);
  w.raw(",\"bytes_out\":");
  w.uint(r.bytes_out);
  w.raw(",\"input_tokens\":");
  w.optional_uint(r.input_tokens);
  w.raw(",\"output_tokens\":");
  w.optional_uint(r.output_tokens);
  durations(w, r);
  policy_and_pii(w, r);
  w.raw("}\n");
  out.resize(static_cast<std::size_t>(w.end() - out.data()));
}

}  // namespace sovgw
