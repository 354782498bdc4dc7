// BackendConfig: everything the upstream client needs to know about one backend, as plain values.
// Filled by the gateway's config loader (the only code that touches TOML); read-only afterwards and
// shared by all worker threads without synchronisation.
#pragma once

#include <cstdint>
#include <string>

namespace sovgw::backends {

// The wire protocol a backend speaks: OpenAI's HTTP API (chat/completions, completions,
// embeddings; `Authorization: Bearer`), or Anthropic's Messages API (`/v1/messages` under a
// base_url without /v1; `x-api-key` and `anthropic-version`), which serves chat only.
enum class Protocol { kOpenAi, kAnthropic };

// How a backend can continue an answer another backend began (mid-stream recovery): not at all
// (sovgw regenerates there and skips the already delivered prefix, if it matches), by a trailing
// assistant message it continues (llama.cpp server, most chat templates), or vLLM's explicit
// `continue_final_message: true, add_generation_prompt: false`.
enum class Continuation { kNone, kPrefill, kVllm };

// base_url split once at load time, so the hot path never parses URLs.
struct UpstreamUrl {
  bool tls = false;        // https
  std::string host;        // "api.openai.com", "127.0.0.1" or "::1" (no brackets)
  std::uint16_t port = 0;  // explicit or the scheme's default
  std::string base_path;   // "/v1" — no trailing slash; "" for the root
  std::string host_header; // "api.openai.com" or "127.0.0.1:8000" (port only when not default)
};

struct BackendConfig {
  std::string name;
  Protocol protocol = Protocol::kOpenAi;
  std::string base_url;    // as written, for messages and /admin/config
  UpstreamUrl url;
  std::string api_key_env;  // name of the environment variable holding the key; "" = no key
  std::string jurisdiction; // ISO 3166-1 alpha-2, upper case
  bool local = false;       // on-premises: data never leaves the building
  std::string ca_file;      // PEM bundle to verify the server with; "" = system store
  Continuation continuation = Continuation::kNone;  // anthropic: prefill unless configured
  std::string anthropic_version = "2023-06-01";      // anthropic: the API version header sent

  // Timeouts, split as Pingora does. Defaults are chosen for LLM traffic.
  std::uint32_t connect_timeout_ms = 3000;          // TCP connect + TLS handshake
  std::uint32_t first_byte_timeout_ms = 120000;     // non-stream: until the response header
  std::uint32_t stream_first_byte_timeout_ms = 15000;  // stream: until the response header
  std::uint32_t stream_idle_timeout_ms = 15000;     // stream: longest silence between reads
  std::uint32_t total_timeout_ms = 600000;          // one attempt, end to end
  std::uint32_t time_to_first_token_ms = 15000;     // stream: until the first real content

  // Circuit breaker (see BackendHealth): consecutive network/5xx failures that eject the backend,
  // and how long; the time doubles on each re-ejection up to the cap.
  std::uint32_t failure_threshold = 3;
  std::uint32_t base_ejection_ms = 30000;
  std::uint32_t max_ejection_ms = 300000;

  // Active health check, off the request path: GET {base_url}{health_check_path}.
  bool health_check = true;
  std::string health_check_path = "/models";  // anthropic: "/v1/models"
  std::uint32_t health_check_interval_ms = 5000;
  std::uint32_t health_check_timeout_ms = 2000;

  // Connection pool, per worker thread.
  std::uint32_t max_connections = 1024;             // open at once (busy + idle)
  std::uint32_t max_idle_connections = 64;          // kept for reuse
  std::uint32_t idle_connection_timeout_ms = 60000; // an idle pooled connection older than this is dropped
};

}  // namespace sovgw::backends
