// Typed reads of one field of a parsed JSON object, tolerant of absence and wrong types: what the
// protocol translators and the chunk inspector ask of provider payloads. Internal to backends/.
// Pure, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

namespace sovgw::backends::fields {

// The string at `key`, "" when absent or not a string.
inline std::string_view str(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

// The non-negative integer at `key` (a token count), nullopt otherwise.
inline std::optional<std::uint64_t> count(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v && v->is_int64() && v->as_int64() >= 0) return static_cast<std::uint64_t>(v->as_int64());
  if (v && v->is_uint64()) return v->as_uint64();
  return std::nullopt;
}

// The object at `key`, null when absent or not an object.
inline const boost::json::object* object_at(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_object() ? &v->as_object() : nullptr;
}

}  // namespace sovgw::backends::fields
