#include "policy/audit_record.hpp"

#include <cstdio>

namespace sovgw::policy {

namespace chrono = std::chrono;

namespace {

// Length of the valid UTF-8 sequence starting at text[i] (a non-ASCII lead byte), or 0.
std::size_t utf8_length(std::string_view text, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = at(i);
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;  // allowed range of the second byte (no overlongs, no surrogates)
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (i + length > text.size() || at(i + 1) < low || at(i + 1) > high) return 0;
  for (std::size_t k = i + 2; k < i + length; ++k) {
    if (at(k) < 0x80 || at(k) > 0xbf) return 0;
  }
  return length;
}

// A JSON string literal: '"' and '\\' escaped, control characters as \b \f \n \r \t or
// \u00XX, valid UTF-8 as it is, and each byte of invalid UTF-8 as U+FFFD, so every record is
// valid JSON whatever a client put in, say, its model name.
void append_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte >= 0x20 && byte < 0x80) {
      out.push_back(c);
    } else if (byte >= 0x80) {
      const std::size_t length = utf8_length(text, i);
      if (length == 0) {
        out.append("\xef\xbf\xbd");  // U+FFFD
      } else {
        out.append(text.substr(i, length));
        i += length - 1;
      }
    } else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
      out.push_back('\\');
      out.push_back(c == '\b' ? 'b' : c == '\f' ? 'f' : c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
    } else {
      out.append("\\u00");
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  out.push_back('"');
}

// `"key":` — keys are literals that need no escaping; `first` omits the comma.
void append_key(std::string& out, std::string_view key, bool first = false) {
  if (!first) out.push_back(',');
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

}  // namespace

// Keys are written in a fixed order, so the same record always gives the same bytes. Changing the
// order or a key name changes the bytes hashed from then on; old records keep verifying, because
// verify hashes the stored bytes, never a re-serialisation.
std::string canonical_json(const AuditRecord& record) {
  std::string out;
  out.reserve(384 + 96 * record.targets.size() + 40 * record.pii.size());
  append_key(out.append("{"), "time", true);
  append_string(out, format_rfc3339(record.time));
  append_key(out, "request_id");
  append_string(out, record.request_id);
  append_key(out, "tenant");
  append_string(out, record.tenant);
  append_key(out, "model");
  append_string(out, record.model);
  append_key(out, "data_class");
  append_string(out, record.data_class);
  append_key(out, "targets");
  out.push_back('[');
  for (std::size_t i = 0; i < record.targets.size(); ++i) {
    const auto& t = record.targets[i];
    append_key(out.append(i == 0 ? "{" : ",{"), "backend", true);
    append_string(out, t.backend);
    append_key(out, "jurisdiction");
    append_string(out, t.jurisdiction);
    append_key(out, "local");
    out.append(t.local ? "true" : "false");
    append_key(out, "action");
    append_string(out, t.action);
    append_key(out, "rule");
    append_string(out, t.rule);
    out.push_back('}');
  }
  out.push_back(']');
  append_key(out, "policy_action");
  append_string(out, record.policy_action);
  append_key(out, "policy_rule");
  append_string(out, record.policy_rule);
  append_key(out, "pii");
  out.push_back('[');
  for (std::size_t i = 0; i < record.pii.size(); ++i) {
    append_key(out.append(i == 0 ? "{" : ",{"), "detector", true);
    append_string(out, record.pii[i].detector);
    append_key(out, "count");
    out.append(std::to_string(record.pii[i].count)).push_back('}');
  }
  out.push_back(']');
  append_key(out, "backend");
  append_string(out, record.backend);
  append_key(out, "outcome");
  append_string(out, record.outcome);
  append_key(out, "status");
  out.append(std::to_string(record.status));
  append_key(out, "error_code");
  append_string(out, record.error_code);
  append_key(out, "attempts");
  out.append(std::to_string(record.attempts));
  append_key(out, "input_tokens");
  out.append(record.input_tokens ? std::to_string(*record.input_tokens) : "null");
  append_key(out, "output_tokens");
  out.append(record.output_tokens ? std::to_string(*record.output_tokens) : "null").push_back('}');
  return out;
}

std::string format_rfc3339(chrono::system_clock::time_point time) {
  const auto micros = chrono::floor<chrono::microseconds>(time);
  const auto days = chrono::floor<chrono::days>(micros);
  const chrono::year_month_day ymd{days};
  const chrono::hh_mm_ss hms{micros - days};
  char text[40];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()), static_cast<long long>(hms.subseconds().count()));
  return text;
}

namespace {

// Reads exactly `width` digits at `pos`; -1 if any is not a digit.
int digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// "Z" or "+HH:MM"/"-HH:MM" as an offset east of UTC; nullopt if malformed.
std::optional<chrono::minutes> parse_offset(std::string_view zone) {
  if (zone == "Z" || zone == "z") return chrono::minutes(0);
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':') return std::nullopt;
  const int hours = digits(zone, 1, 2);
  const int minutes = digits(zone, 4, 2);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return std::nullopt;
  const chrono::minutes offset(hours * 60 + minutes);
  return zone[0] == '+' ? offset : -offset;
}

}  // namespace

std::optional<chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS is 19 characters, fixed positions.
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':') return std::nullopt;
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return std::nullopt;
  const int year = digits(text, 0, 4);
  const int month = digits(text, 5, 2);
  const int day = digits(text, 8, 2);
  const int hour = digits(text, 11, 2);
  const int minute = digits(text, 14, 2);
  const int second = digits(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second > 60) {
    return std::nullopt;
  }
  const chrono::year_month_day ymd{chrono::year(year), chrono::month(static_cast<unsigned>(month)),
                                   chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  std::size_t pos = 19;
  chrono::nanoseconds fraction(0);
  if (text[pos] == '.') {
    ++pos;
    std::size_t count = 0;
    long long value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (count < 9) {  // digits past nanoseconds are accepted and ignored
        value = value * 10 + (text[pos] - '0');
        ++count;
      }
      ++pos;
    }
    if (count == 0) return std::nullopt;
    for (std::size_t i = count; i < 9; ++i) value *= 10;
    fraction = chrono::nanoseconds(value);
  }
  const auto offset = parse_offset(text.substr(pos));
  if (!offset) return std::nullopt;
  const auto local = chrono::sys_days(ymd) + chrono::hours(hour) + chrono::minutes(minute) + chrono::seconds(second);
  return chrono::time_point_cast<chrono::system_clock::duration>(local - *offset + fraction);
}

}  // namespace sovgw::policy
