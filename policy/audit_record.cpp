#include "policy/audit_record.hpp"

#include <cstdio>

#include <boost/json.hpp>

namespace sovgw::policy {

namespace json = boost::json;
namespace chrono = std::chrono;

// Keys are inserted in a fixed order and boost::json::object keeps insertion order, so the
// serialisation is stable. Changing the order or a key name changes every hash computed from now
// on; old records keep verifying because verify hashes the stored bytes, not a re-serialisation.
std::string canonical_json(const AuditRecord& record) {
  json::array targets;
  targets.reserve(record.targets.size());
  for (const auto& t : record.targets) {
    targets.push_back(json::object{{"backend", t.backend},
                                   {"jurisdiction", t.jurisdiction},
                                   {"local", t.local},
                                   {"action", t.action},
                                   {"rule", t.rule}});
  }
  json::array pii;
  pii.reserve(record.pii.size());
  for (const auto& p : record.pii) pii.push_back(json::object{{"detector", p.detector}, {"count", p.count}});

  json::object out;
  out.reserve(14);
  out["time"] = format_rfc3339(record.time);
  out["request_id"] = record.request_id;
  out["tenant"] = record.tenant;
  out["model"] = record.model;
  out["data_class"] = record.data_class;
  out["targets"] = std::move(targets);
  out["policy_action"] = record.policy_action;
  out["policy_rule"] = record.policy_rule;
  out["pii"] = std::move(pii);
  out["backend"] = record.backend;
  out["outcome"] = record.outcome;
  out["status"] = record.status;
  out["error_code"] = record.error_code;
  out["attempts"] = record.attempts;
  return json::serialize(out);
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
