// CachedAnswer: one stored answer, independent of how it arrived. A chat answer is kept as the
// final assembled `chat.completion` JSON (content, tool calls, finish_reason, usage, model),
// whether it came buffered or was captured from a stream, so it replays either way
// (sse_replay.hpp). Text completions and embeddings are kept as their raw JSON body, for
// non-stream clients only. Plain value type plus the byte layout used in RocksDB; any thread.
//
//   auto value = encode_answer(AnswerKind::kChatCompletion, stored_at, body);
//   auto back = decode_answer(value);   // nullopt: not a value this version wrote
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sovgw::cache {

enum class AnswerKind : std::uint8_t {
  kChatCompletion = 1,  // a normalised chat.completion: replays as JSON or as SSE
  kRawJson = 2,         // the upstream's JSON body as it was (completions, embeddings): JSON only
};

struct CachedAnswer {
  AnswerKind kind = AnswerKind::kChatCompletion;
  std::string body;  // JSON text
  std::chrono::system_clock::time_point stored_at;
  // Set by ResponseCache::lookup: age <= ttl. A found answer that is not fresh is only good for
  // stale-if-error (age <= stale_if_error_seconds).
  bool fresh = false;
};

// Value layout: byte 0 format version (1), byte 1 AnswerKind, bytes 2..9 stored_at in
// milliseconds since the Unix epoch (signed, big-endian), then the JSON body.
std::string encode_answer(AnswerKind kind, std::chrono::system_clock::time_point stored_at, std::string_view body);
std::optional<CachedAnswer> decode_answer(std::string_view value);

// Normalises an upstream non-stream /chat/completions body for storing: a JSON object with
// exactly one choice whose message is an object and whose finish_reason is a string (anything
// else, including an error body, is not stored). Returns the JSON to store, or nullopt.
std::optional<std::string> storable_chat_completion(std::string_view upstream_body);

// A /completions or /embeddings body worth keeping: a JSON object without "error" (and, for
// completions, exactly one choice with a string finish_reason). Returns the body, or nullopt.
std::optional<std::string> storable_raw_answer(std::string_view upstream_body, bool completions);

}  // namespace sovgw::cache
