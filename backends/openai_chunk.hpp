// What one OpenAI-protocol SSE `data:` payload means for relaying and failover: the end marker,
// real progress (text, tool call, refusal, reasoning, finish reason), an in-band error, or a
// malformed event. Keep-alives and role-only chunks are not progress: they must not satisfy the
// time-to-first-token or stall limits. Pure function, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sovgw::backends {

enum class ChunkKind {
  kDone,       // `[DONE]`
  kProgress,   // carries content, a tool call, or a finish reason
  kNoProgress, // valid chunk without content: role-only, empty delta, usage-only
  kError,      // `{"error": ...}` after a 200: the upstream failed mid-stream
  kMalformed,  // not JSON, or not an object
};

struct ChunkInfo {
  ChunkKind kind = ChunkKind::kMalformed;
  bool finished = false;     // some choice carries a non-null finish_reason
  bool tool_call = false;    // carries a tool/function call (cannot be continued elsewhere)
  bool other_choice = false; // a choice other than index 0 (n > 1: cannot be continued)
  bool usage = false;        // carries a non-null usage object
  std::optional<std::uint64_t> prompt_tokens;      // from that usage object
  std::optional<std::uint64_t> completion_tokens;
  std::string content;       // text of choice 0 in this chunk (delta.content or text)
};

ChunkInfo inspect_chunk(std::string_view data);

// The same chunk as an SSE event (`data: ...\n\n`) with its "id" replaced, and, when `content` is
// given, choice 0's text replaced (for splicing a continuation into a stream already begun).
// Returns "" when `data` is not a JSON object.
std::string rewrite_chunk(std::string_view data, std::string_view id, const std::string* content = nullptr);

// Token counts of a whole non-stream response body (its top-level "usage"), read without parsing
// the rest of the body. Either count may be missing.
struct TokenUsage {
  std::optional<std::uint64_t> prompt_tokens;
  std::optional<std::uint64_t> completion_tokens;
};
TokenUsage find_usage(std::string_view body);

// The "id" of a chunk, or "" (the stream's identity, kept across a mid-stream failover).
std::string chunk_id(std::string_view data);

}  // namespace sovgw::backends
