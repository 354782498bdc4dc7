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
#include <cstdio>
#include <ctime>

#include "gateway/access_log.hpp"
#include "gateway/request_record.hpp"

namespace sovgw {

namespace {

void append_string(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      out += "\\u00";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

void append_uint(std::string& out, std::uint64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

void append_ms(std::string& out, std::chrono::nanoseconds d) {
  char buf[32];
  const double ms = std::chrono::duration<double, std::milli>(d).count();
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, ms, std::chars_format::fixed, 3);
  out.append(buf, ec == std::errc() ? end : buf);
}

// RFC 3339, UTC, milliseconds: 2025-01-02T03:04:05.678Z
void append_time(std::string& out, std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900,
                              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  out.append(buf, static_cast<std::size_t>(n));
}

// `,"key":`
void key(std::string& out, std::string_view name) {
  out += ",\"";
  out += name;
  out += "\":";
}

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
  key(out, "upstream");
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
  key(out, "failovers");
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
  key(out, "duration_ms");
  append_ms(out, r.duration);
  key(out, "upstream_ms");
  append_ms(out, r.upstream_duration);
  key(out, "overhead_ms");
  append_ms(out, std::max(std::chrono::nanoseconds(0), r.duration - r.upstream_duration));
  key(out, "ttft_ms");
  if (r.time_to_first_token) {
    append_ms(out, *r.time_to_first_token);
  } else {
    out += "null";
  }
}

void policy_and_pii(std::string& out, const RequestRecord& r) {
  key(out, "cache");
  append_string(out, r.cache_result);
  key(out, "policy_action");
  append_string(out, r.policy_action);
  key(out, "policy_rule");
  append_string(out, r.policy_rule);
  key(out, "pii");
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
  key(out, "request_id");
  append_string(out, r.request_id);
  key(out, "tenant");
  append_string(out, r.tenant);
  string_or_null(out, "api", r.api);
  // A name the client typed that is not configured could be anything: it is not logged.
  key(out, "model");
  append_string(out, r.model_known ? std::string_view(r.model) : std::string_view("unknown"));
  key(out, "stream");
  out += r.stream ? "true" : "false";
  string_or_null(out, "data_class", r.data_class);
  key(out, "status");
  append_uint(out, r.status);
  string_or_null(out, "error_code", r.error_code);
  string_or_null(out, "outcome", r.outcome);
  string_or_null(out, "backend", r.backend);
  key(out, "attempts");
  append_uint(out, r.attempts.size());
  upstream_attempts(out, r);
  key(out, "bytes_in");
  append_uint(out, r.bytes_in);
  key(out, "bytes_out");
  append_uint(out, r.bytes_out);
  optional_uint(out, "input_tokens", r.input_tokens);
  optional_uint(out, "output_tokens", r.output_tokens);
  durations(out, r);
  policy_and_pii(out, r);
  out += "}\n";
}

}  // namespace sovgw
