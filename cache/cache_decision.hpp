// CacheDecision: whether one request may be answered from the cache (lookup) and whether its
// answer may be kept (store), with a fixed reason word for logs and metrics. Decided in the
// request path after the policy decision and before any target is chosen. Pure function, any
// thread; the caller reads the headers and the [[models]] entry, nothing here sees HTTP.
//
//   auto d = decide_caching({.api = CacheApi::kChat, .body = &body,
//                            .cache_header = req["x-sovgw-cache"], .cache_control = req["cache-control"],
//                            .model_cache = model.cache});
//   if (d.lookup) ...; if (d.store) ...;   // neither: x-sovgw-cache: bypass
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/fwd.hpp>

namespace sovgw::cache {

enum class CacheApi { kChat, kCompletions, kEmbeddings };

struct CacheRequest {
  CacheApi api = CacheApi::kChat;
  const boost::json::object* body = nullptr;  // the parsed request body; required
  std::string_view cache_header;   // x-sovgw-cache: "on", "off" (case-insensitive), "" when absent
  std::string_view cache_control;  // Cache-Control as sent, "" when absent
  std::optional<bool> model_cache; // [[models]] cache = true|false; nullopt when not set
  bool pseudonymized = false;      // the policy replaced PII with placeholders it will restore
};

struct CacheDecision {
  bool lookup = false;  // may be answered from the cache (also: may get a stale answer on failure)
  bool store = false;   // the complete answer may be written to the cache
  // One of the fixed words below (a metrics label, never client text):
  //   not cached:  client_off, no_store, model_off, several_choices, pseudonymized,
  //                stream_unsupported, not_deterministic
  //   cached:      client_on, model_on, temperature_zero, deterministic_api
  //   store only:  no_cache (Cache-Control: no-cache: answer fresh, keep the answer)
  std::string_view reason;
};

// The rules, first match wins:
//   x-sovgw-cache: off           → neither (client_off)
//   Cache-Control: no-store      → neither (no_store): not read, not written
//   model cache = false          → neither (model_off)
//   n > 1                        → neither (several_choices): one stored answer per key
//   pseudonymized                → neither: the answer would hold placeholders bound to this
//                                  request, and must never be kept with the restored values
//   /completions with stream     → neither (stream_unsupported): text completions are cached as
//                                  raw JSON for non-stream clients only
//   x-sovgw-cache: on            → both (client_on)
//   model cache = true           → both (model_on)
//   explicit temperature 0       → both (temperature_zero); an absent temperature is not assumed
//                                  deterministic
//   /embeddings                  → both (deterministic_api): embeddings have no sampling
//   otherwise                    → neither (not_deterministic)
// Then Cache-Control: no-cache turns a cacheable request into store-only (no_cache).
CacheDecision decide_caching(const CacheRequest& request);

}  // namespace sovgw::cache
