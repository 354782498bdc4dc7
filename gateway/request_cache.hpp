// RequestCache: the response-cache stage of one proxied request. Built after the policy stage
// and before the target loop: it decides whether the request may be answered from the cache and
// whether its answer may be kept (cache/cache_decision.hpp), forms the key over the request as it
// leaves, looks it up, and after the answer went out keeps it (a buffered body, or the stream the
// relay captured). A request the policy would redact or pseudonymise for any target it may reach
// is never cached (bypass): its answer is bound to placeholders or restored values. Inert
// (bypass) when [cache] is off. One per request, on its worker thread; stores are spawned on the
// worker's executor and run on the cache's pool without holding up the client.
//
//   RequestCache rc = RequestCache::decide(shared.cache.get(), {...});
//   co_await rc.look_up();
//   if (const auto* hit = rc.fresh()) ...replay it...;
//   ... relay with rc.capture() / on a 200 body: rc.keep_buffered(executor, body) ...
//   if (const auto* stale = rc.stale()) ...every target failed: replay it...;
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>

#include "cache/cache_decision.hpp"
#include "cache/cache_key.hpp"
#include "cache/cached_answer.hpp"
#include "cache/response_cache.hpp"
#include "cache/stream_capture.hpp"
#include "gateway/config.hpp"
#include "gateway/request_policy.hpp"

namespace sovgw {

class RequestCache {
 public:
  struct Inputs {
    std::string_view api_path;  // "/chat/completions", "/completions" or "/embeddings"
    const boost::json::object* body = nullptr;  // the parsed client body
    std::string_view cache_header;   // x-sovgw-cache
    std::string_view cache_control;  // Cache-Control
    std::string_view tenant;
    bool stream = false;  // the client asked for a stream
  };

  // `cache` null: everything bypasses. Asks `policy` about every target of `model` (the same
  // answer the target loop will get): a request that no target may receive is not looked up
  // (the loop answers 403), one that some target would get rewritten is bypassed.
  static RequestCache decide(cache::ResponseCache* cache, const Config& config, const ModelConfig& model,
                             const RequestPolicy& policy, const Inputs& in);

  // Reads the stored answer when the decision allows a lookup (co_await as a statement).
  boost::asio::awaitable<void> look_up();

  // "hit" (a fresh answer was found), "miss" (looked up, nothing fresh), "bypass" (not looked up).
  std::string_view result() const;
  // The fresh answer to serve instead of calling any target; null when there is none.
  const cache::CachedAnswer* fresh() const { return found_ && found_->fresh ? &*found_ : nullptr; }
  // A found answer too old to be fresh but young enough for stale-if-error; null otherwise.
  const cache::CachedAnswer* stale() const { return found_ && !found_->fresh ? &*found_ : nullptr; }
  void note_stale_served() const;
  // stream_options.include_usage: a replayed stream ends with a usage chunk.
  bool include_usage() const { return include_usage_; }

  // Where the relay puts the events it sends, when a streamed answer may be kept; else null.
  cache::StreamCapture* capture() { return capture_ ? &*capture_ : nullptr; }
  // After a streamed answer completed: keeps it when the capture is complete.
  void keep_stream(const boost::asio::any_io_executor& executor);
  // A 200 non-stream upstream body (never one with restored values): keeps it when storable.
  // The answer will be kept once sent (worth putting it in OpenAI's form for the store).
  bool storing() const { return cache_ && key_ && decision_.store; }
  void keep_buffered(const boost::asio::any_io_executor& executor, std::string_view upstream_body);

 private:
  void spawn_store(const boost::asio::any_io_executor& executor, cache::AnswerKind kind, std::string body);

  cache::ResponseCache* cache_ = nullptr;
  cache::CacheApi api_ = cache::CacheApi::kChat;
  cache::CacheDecision decision_;
  std::optional<cache::CacheKey> key_;
  std::optional<cache::CachedAnswer> found_;
  std::optional<cache::StreamCapture> capture_;
  bool include_usage_ = false;
  bool stored_ = false;  // one store per request
};

}  // namespace sovgw
