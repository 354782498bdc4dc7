// Replaying a stored answer: to a streaming client as a well-formed OpenAI SSE stream (role
// chunk, content pieces, tool calls, finish_reason chunk, usage chunk when asked for,
// `data: [DONE]`), to a non-streaming client as the chat.completion JSON — whichever way the
// answer was stored. Used by the request path on a cache hit (or a stale answer); pure
// functions, any thread.
//
//   if (auto sse = replay_sse(answer, {.include_usage = true})) send_sse_body(*sse);
//   else send_json(replay_json(answer, {}));
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "cache/cached_answer.hpp"

namespace sovgw::cache {

struct ReplayOptions {
  std::string id;              // replaces the stored "id" when not empty
  bool include_usage = false;  // stream_options.include_usage: every chunk carries "usage": null,
                               // then one chunk with empty choices carries the stored usage
  std::size_t piece_bytes = 1024;  // content and refusal go out in pieces of at most this many
                                   // bytes, split on UTF-8 character boundaries
};

// The whole SSE response body: `data: {chunk}\n\n` events, then `data: [DONE]\n\n`.
// nullopt when the answer is not a chat completion (raw JSON kinds cannot stream) or its body
// is not a single-choice chat.completion.
std::optional<std::string> replay_sse(const CachedAnswer& answer, const ReplayOptions& options = {});

// The JSON response body: the stored body, with "id" replaced when options.id is set (chat
// completions only; raw JSON bodies go out as they were stored).
std::string replay_json(const CachedAnswer& answer, const ReplayOptions& options = {});

}  // namespace sovgw::cache
