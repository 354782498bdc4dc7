// The access log line: one JSON object per request, keys in a fixed order, absent numbers as null.
// Hand-written (no DOM, no allocation once the caller's string is warm) because it runs once per
// request on the worker thread. Only fields that cannot carry prompt text, PII values or keys:
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

#include "gateway/access_log.hpp"
#include "gateway/request_record.hpp"

namespace sovgw {

namespace {

bool needs_escape(char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }

void append_string(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run of bytes that need no escaping
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (!needs_escape(c)) continue;
    out.append(value.data() + plain, i - plain);
    plain = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  out.append(value.data() + plain, value.size() - plain);
  out += '"';
}

void append_uint(std::string& out, std::uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

// Milliseconds with three decimals ("1500.250"), by integer arithmetic: exact and cheap.
void append_ms(std::string& out, std::chrono::nanoseconds d) {
  const auto us = std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  append_uint(out, static_cast<std::uint64_t>(us / 1000));
  const auto frac = static_cast<int>(us % 1000);
  out += '.';
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
}

void append_digits(std::string& out, unsigned value, int width) {
  char buf[8];
  for (int i = width - 1; i >= 0; --i, value /= 10) buf[i] = static_cast<char>('0' + value % 10);
  out.append(buf, static_cast<std::size_t>(width));
}

// RFC 3339, UTC, milliseconds: "2025-01-02T03:04:05.678Z" (the civil calendar of <chrono>, no
// locale, no time zone lookup).
void append_time(std::string& out, std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(t);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{ms - day};
  out += '"';
  append_digits(out, static_cast<unsigned>(static_cast<int>(date.year())), 4);
  out += '-';
  append_digits(out, static_cast<unsigned>(date.month()), 2);
  out += '-';
  append_digits(out, static_cast<unsigned>(date.day()), 2);
  out += 'T';
  append_digits(out, static_cast<unsigned>(time.hours().count()), 2);
  out += ':';
  append_digits(out, static_cast<unsigned>(time.minutes().count()), 2);
  out += ':';
  append_digits(out, static_cast<unsigned>(time.seconds().count()), 2);
  out += '.';
  append_digits(out, static_cast<unsigned>(time.subseconds().count()), 3);
  out += "Z\"";
}

// `,"key":` in one append: call sites pass the whole literal, its length known at compile time.
void key(std::string& out, std::string_view prefixed_key) { out.append(prefixed_key); }

void string_or_null(std::string& out, std::string_view name, std::string_view value) {
  key(out, name);
  if (value.empty()) {
    out += "null";
  } else {
    append_string(out, value);
  }
}

void optional_uint(std::string& out, std::string_view name, const std::optional<std::uint64_t>& value) {
  key(out, name);
  if (value) {
    append_uint(out, *value);
  } else {
    out += "null";
  }
}

void upstream_attempts(std::string& out, const RequestRecord& r) {
  key(out, ",\"upstream\":");
  out += '[';
  for (std::size_t i = 0; i < r.attempts.size(); ++i) {
    out += i ? ",{\"backend\":" : "{\"backend\":";
    append_string(out, r.attempts[i].backend);
    out += ",\"class\":";
    append_string(out, r.attempts[i].cls);
    out += ",\"reason\":";
    append_string(out, r.attempts[i].reason);
    out += '}';
  }
  out += ']';
  key(out, ",\"failovers\":");
  out += '[';
  for (std::size_t i = 0; i < r.failovers.size(); ++i) {
    out += i ? ",{\"from\":" : "{\"from\":";
    append_string(out, r.failovers[i].from);
    out += ",\"to\":";
    append_string(out, r.failovers[i].to);
    out += ",\"reason\":";
    append_string(out, r.failovers[i].reason);
    out += '}';
  }
  out += ']';
}

void durations(std::string& out, const RequestRecord& r) {
  key(out, ",\"duration_ms\":");
  append_ms(out, r.duration);
  key(out, ",\"upstream_ms\":");
  append_ms(out, r.upstream_duration);
  key(out, ",\"overhead_ms\":");
  append_ms(out, std::max(std::chrono::nanoseconds(0), r.duration - r.upstream_duration));
  key(out, ",\"ttft_ms\":");
  if (r.time_to_first_token) {
    append_ms(out, *r.time_to_first_token);
  } else {
    out += "null";
  }
}

void policy_and_pii(std::string& out, const RequestRecord& r) {
  key(out, ",\"cache\":");
  append_string(out, r.cache_result);
  key(out, ",\"policy_action\":");
  append_string(out, r.policy_action);
  key(out, ",\"policy_rule\":");
  append_string(out, r.policy_rule);
  key(out, ",\"pii\":");
  out += '{';
  for (std::size_t i = 0; i < r.pii.size(); ++i) {
    if (i) out += ',';
    append_string(out, r.pii[i].detector);
    out += ':';
    append_uint(out, r.pii[i].count);
  }
  out += '}';
}

}  // namespace

void AccessLog::format(const RequestRecord& r, std::string& out) {
  out += "{\"time\":";
  append_time(out, r.start_time.time_since_epoch().count() != 0 ? r.start_time : std::chrono::system_clock::now());
  key(out, ",\"request_id\":");
  append_string(out, r.request_id);
  key(out, ",\"tenant\":");
  append_string(out, r.tenant);
  string_or_null(out, ",\"api\":", r.api);
  // A name the client typed that is not configured could be anything: it is not logged.
  key(out, ",\"model\":");
  append_string(out, r.model_known ? std::string_view(r.model) : std::string_view("unknown"));
  key(out, ",\"stream\":");
  out += r.stream ? "true" : "false";
  string_or_null(out, ",\"data_class\":", r.data_class);
  key(out, ",\"status\":");
  append_uint(out, r.status);
  string_or_null(out, ",\"error_code\":", r.error_code);
  string_or_null(out, ",\"outcome\":", r.outcome);
  string_or_null(out, ",\"backend\":", r.backend);
  key(out, ",\"attempts\":");
  append_uint(out, r.attempts.size());
  upstream_attempts(out, r);
  key(out, ",\"bytes_in\":");
  append_uint(out, r.bytes_in);
  key(out, ",\"bytes_out\":");
  append_uint(out, r.bytes_out);
  optional_uint(out, ",\"input_tokens\":", r.input_tokens);
  optional_uint(out, ",\"output_tokens\":", r.output_tokens);
  durations(out, r);
  policy_and_pii(out, r);
  out += "}\n";
}

}  // namespace sovgw
