// CacheKey: which stored answer a request may be served from. A SHA-256 over the tenant, the API
// path and the canonical JSON of the request body as it would leave sovgw (after policy
// redaction), so tenants never share an entry and key order or whitespace never splits one.
// Computed in the request path after the policy decision; pure functions, any thread.
//
//   auto key = make_cache_key("acme", "gpt-4o", "/chat/completions", body.as_object());
//   if (key) co_await cache.lookup(*key);   // nullopt: tenant or model cannot form a key
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

namespace sovgw::cache {

struct CacheKey {
  std::string tenant;  // never contains '\0'
  std::string model;   // the [[models]] name the client asked for; never contains '\0'
  std::array<std::uint8_t, 32> digest{};  // SHA-256 of the canonical request

  // The RocksDB key: tenant '\0' model '\0' digest. The prefixes make clearing one tenant
  // (a range) or one model (a scan) possible without parsing values.
  std::string db_key() const;
  std::string digest_hex() const;  // for logs and tests
  friend bool operator==(const CacheKey&, const CacheKey&) = default;
};

// Top-level body fields that do not change the answer, left out of the key:
//   stream          a streamed answer serves a non-stream client and the reverse (replayed)
//   stream_options  only asks for a usage chunk, which the replay adds from the stored answer
//   user            an end-user id for the provider's abuse monitoring; the answer is the same
// Everything else stays in, unknown fields too: a field sovgw does not know might change the
// answer, and a needless miss costs less than a wrong hit.
inline constexpr std::string_view kIgnoredFields[] = {"stream", "stream_options", "user"};

// The body as canonical JSON: object keys sorted by their UTF-8 bytes, recursively; no
// insignificant whitespace; strings and numbers written as Boost.JSON serialises them (so
// "\u00e9" and "é" agree; 0 and 0.0 do not, a harmless miss). Top-level kIgnoredFields dropped.
std::string canonical_request_json(const boost::json::object& body);

// nullopt when the tenant or model is empty or contains '\0' (it could not be told apart in
// db_key()); the request is then simply not cached.
std::optional<CacheKey> make_cache_key(std::string_view tenant, std::string_view model,
                                       std::string_view api_path, const boost::json::object& body);

}  // namespace sovgw::cache
