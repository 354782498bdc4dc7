#include "policy/request_scan.hpp"

#include <algorithm>
#include <array>

#include <boost/json.hpp>

namespace sovgw::policy {

namespace json = boost::json;

namespace {

// Values that are protocol, not content: never personal data, and rewriting them would break
// the request. Sorted for binary search.
constexpr std::array<std::string_view, 12> kProtocolKeys = {
    "data",  // Anthropic image/document source: base64 bytes
    "detail", "encoding_format", "finish_reason", "id", "media_type", "model", "object", "role",
    "stop_reason", "tool_call_id", "type",
};

bool protocol_key(std::string_view key) {
  return std::binary_search(kProtocolKeys.begin(), kProtocolKeys.end(), key);
}

// Inline binary (an image as a data: URL) is not text.
bool inline_binary(std::string_view s) { return s.size() > 5 && s.substr(0, 5) == "data:"; }

// Visits every scannable string in a fixed order (the same for scanning and redacting).
template <typename Value, typename Visit>
void walk(Value& value, std::size_t& index, Visit& visit) {
  if (value.is_string()) {
    if (!inline_binary(value.get_string())) visit(value.get_string(), index);
    ++index;
  } else if (value.is_array()) {
    for (auto& element : value.get_array()) walk(element, index, visit);
  } else if (value.is_object()) {
    for (auto& member : value.get_object()) {
      if (member.value().is_string() && protocol_key(member.key())) continue;
      walk(member.value(), index, visit);
    }
  }
}

bool wanted(std::string_view detector, const std::vector<std::string>& types, bool all_types) {
  return all_types || std::find(types.begin(), types.end(), detector) != types.end();
}

}  // namespace

void add_count(std::vector<PiiCount>& counts, std::string_view detector, unsigned n) {
  for (PiiCount& c : counts) {
    if (c.detector == detector) {
      c.count += n;
      return;
    }
  }
  counts.push_back(PiiCount{std::string(detector), n});
}

RequestScan::RequestScan(const json::value& body, const PiiScanner& scanner, ScanScratch& scratch,
                         std::size_t max_bytes) {
  std::size_t index = 0;
  std::size_t scanned = 0;
  std::vector<PiiFinding> findings;
  auto visit = [&](const json::string& s, std::size_t i) {
    if (failed_) return;
    scanned += s.size();
    if (scanned > max_bytes) {
      failed_ = true;
      failure_ = "request text exceeds the scan budget of " + std::to_string(max_bytes) + " bytes";
      return;
    }
    if (auto status = scanner.scan(std::string_view(s.data(), s.size()), scratch, findings); !status) {
      failed_ = true;
      failure_ = "PII scanner error: " + status.error().detail;
      return;
    }
    if (findings.empty()) return;
    for (const PiiFinding& f : findings) add_count(counts_, f.detector);
    texts_.push_back(Text{i, findings});
  };
  walk(body, index, visit);
}

json::value RequestScan::redacted(const json::value& body, const std::vector<std::string>& types, bool all_types,
                                  RedactionMapping& mapping) const {
  json::value copy = body;
  std::size_t index = 0;
  std::size_t next = 0;  // texts_ is in walk order
  std::vector<PiiFinding> selected;
  auto visit = [&](json::string& s, std::size_t i) {
    if (next >= texts_.size() || texts_[next].index != i) return;
    selected.clear();
    for (const PiiFinding& f : texts_[next].findings) {
      if (wanted(f.detector, types, all_types)) selected.push_back(f);
    }
    ++next;
    if (selected.empty()) return;
    s = redact(std::string_view(s.data(), s.size()), selected, mapping);
  };
  walk(copy, index, visit);
  return copy;
}

bool RequestScan::redact_text(std::string_view text, const PiiScanner& scanner, ScanScratch& scratch,
                              const std::vector<std::string>& types, bool all_types, RedactionMapping& mapping,
                              std::string& out, std::vector<PiiCount>* counts) {
  std::vector<PiiFinding> findings;
  if (!scanner.scan(text, scratch, findings)) return false;
  std::vector<PiiFinding> selected;
  for (const PiiFinding& f : findings) {
    if (counts) add_count(*counts, f.detector);
    if (wanted(f.detector, types, all_types)) selected.push_back(f);
  }
  out = redact(text, selected, mapping);
  return true;
}

}  // namespace sovgw::policy
