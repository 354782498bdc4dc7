// See cache_decision.hpp.
#include "cache/cache_decision.hpp"

#include <boost/json.hpp>

namespace sovgw::cache {

namespace json = boost::json;

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One Cache-Control directive by name, e.g. "no-store" in "max-age=0, No-Store".
bool has_directive(std::string_view cache_control, std::string_view directive) {
  while (!cache_control.empty()) {
    const auto comma = cache_control.find(',');
    auto item = trim(cache_control.substr(0, comma));
    item = trim(item.substr(0, item.find('=')));
    if (iequals(item, directive)) return true;
    if (comma == std::string_view::npos) break;
    cache_control.remove_prefix(comma + 1);
  }
  return false;
}

// A number field's value, when present and numeric.
std::optional<double> number_field(const json::object& body, std::string_view name) {
  const auto* value = body.if_contains(name);
  if (!value) return std::nullopt;
  if (value->is_int64()) return static_cast<double>(value->get_int64());
  if (value->is_uint64()) return static_cast<double>(value->get_uint64());
  if (value->is_double()) return value->get_double();
  return std::nullopt;
}

bool streams(const json::object& body) {
  const auto* stream = body.if_contains("stream");
  return stream && stream->is_bool() && stream->get_bool();
}

CacheDecision neither(std::string_view reason) { return {false, false, reason}; }
CacheDecision both(std::string_view reason) { return {true, true, reason}; }

CacheDecision base_decision(const CacheRequest& request) {
  const auto& body = *request.body;
  const auto header = trim(request.cache_header);
  if (iequals(header, "off")) return neither("client_off");
  if (has_directive(request.cache_control, "no-store")) return neither("no_store");
  if (request.model_cache == false) return neither("model_off");
  if (auto n = number_field(body, "n"); n && *n > 1) return neither("several_choices");
  if (request.pseudonymized) return neither("pseudonymized");
  if (request.api == CacheApi::kCompletions && streams(body)) return neither("stream_unsupported");
  if (iequals(header, "on")) return both("client_on");
  if (request.model_cache == true) return both("model_on");
  if (auto temperature = number_field(body, "temperature"); temperature && *temperature == 0) {
    return both("temperature_zero");
  }
  if (request.api == CacheApi::kEmbeddings) return both("deterministic_api");
  return neither("not_deterministic");
}

}  // namespace

CacheDecision decide_caching(const CacheRequest& request) {
  auto decision = base_decision(request);
  if (decision.lookup && has_directive(request.cache_control, "no-cache")) {
    decision.lookup = false;
    decision.reason = "no_cache";
  }
  return decision;
}

}  // namespace sovgw::cache
