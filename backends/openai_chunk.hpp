// What one OpenAI-protocol SSE `data:` payload means for relaying and failover: the end marker,
// real progress (text, tool call, refusal, reasoning, finish reason), an in-band error, or a
// malformed event. Keep-alives and role-only chunks are not progress: they must not satisfy the
// time-to-first-token or stall limits. Pure function, any thread.
#pragma once

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
  std::string content;       // text of choice 0 in this chunk (delta.content or text)
};

ChunkInfo inspect_chunk(std::string_view data);

}  // namespace sovgw::backends
