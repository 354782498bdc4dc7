// Typed-placeholder redaction and restoration.
#include "policy/redaction.hpp"

#include <algorithm>

namespace sovgw::policy {

bool placeholder_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

const std::string& RedactionMapping::placeholder_for(std::string_view detector, std::string_view value) {
  std::string key(detector);
  key.push_back('\0');
  key.append(value);
  if (auto it = by_value_.find(key); it != by_value_.end()) return entries_[it->second].placeholder;
  std::string type;
  for (char c : detector) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    type.push_back(placeholder_char(c) ? c : '_');
  }
  const unsigned n = ++counters_[type];
  std::string placeholder = "[" + type + "_" + std::to_string(n) + "]";
  max_placeholder_ = std::max(max_placeholder_, placeholder.size());
  by_value_.emplace(std::move(key), entries_.size());
  by_placeholder_.emplace(placeholder, entries_.size());
  entries_.push_back(Entry{std::move(placeholder), std::string(value)});
  return entries_.back().placeholder;
}

const std::string* RedactionMapping::original_of(std::string_view placeholder) const {
  auto it = by_placeholder_.find(std::string(placeholder));
  return it == by_placeholder_.end() ? nullptr : &entries_[it->second].original;
}

std::string redact(std::string_view text, std::span<const PiiFinding> findings, RedactionMapping& mapping) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (const PiiFinding& f : findings) {
    if (f.begin < pos || f.end > text.size() || f.begin >= f.end) continue;  // overlapping or foreign
    out.append(text.substr(pos, f.begin - pos));
    out.append(mapping.placeholder_for(f.detector, text.substr(f.begin, f.end - f.begin)));
    pos = f.end;
  }
  out.append(text.substr(pos));
  return out;
}

Redacted redact(std::string_view text, std::span<const PiiFinding> findings) {
  Redacted r;
  r.text = redact(text, findings, r.mapping);
  return r;
}

namespace {

// `value` as it must appear inside a JSON string literal.
void append_json_escaped(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

std::string restore(std::string_view text, const RedactionMapping& mapping, bool json_escape) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find('[', pos);
    if (open == std::string_view::npos || mapping.empty()) break;
    std::size_t close = open + 1;
    while (close < text.size() && close - open <= mapping.max_placeholder_size() && placeholder_char(text[close])) {
      ++close;
    }
    const std::string* original = nullptr;
    if (close < text.size() && text[close] == ']') original = mapping.original_of(text.substr(open, close - open + 1));
    out.append(text.substr(pos, open - pos));
    if (original != nullptr) {
      if (json_escape) {
        append_json_escaped(out, *original);
      } else {
        out.append(*original);
      }
      pos = close + 1;
    } else {
      out.push_back('[');
      pos = open + 1;
    }
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace sovgw::policy
