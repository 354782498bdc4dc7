// See request_cache.hpp.
#include "gateway/request_cache.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace sovgw {

namespace net = boost::asio;

namespace {

cache::CacheApi api_of(std::string_view api_path) {
  if (api_path == "/completions") return cache::CacheApi::kCompletions;
  if (api_path == "/embeddings") return cache::CacheApi::kEmbeddings;
  return cache::CacheApi::kChat;
}

}  // namespace

RequestCache RequestCache::decide(cache::ResponseCache* cache, const Config& config, const ModelConfig& model,
                                  const RequestPolicy& policy, const Inputs& in) {
  RequestCache rc;
  if (!cache || !in.body) return rc;
  if (const auto* options = in.body->if_contains("stream_options"); options && options->is_object()) {
    const auto* usage = options->as_object().if_contains("include_usage");
    rc.include_usage_ = usage && usage->is_bool() && usage->as_bool();
  }
  rc.api_ = api_of(in.api_path);
  cache::CacheRequest request{.api = rc.api_,
                              .body = in.body,
                              .cache_header = in.cache_header,
                              .cache_control = in.cache_control,
                              .model_cache = model.cache,
                              .pseudonymized = false};
  rc.decision_ = cache::decide_caching(request);
  if (!rc.decision_.lookup && !rc.decision_.store) return rc;  // most requests stop here
  // The key covers the body as the client sent it, so it may only serve requests that leave
  // unchanged: any rewriting target makes the request uncacheable. A request no target may
  // receive is left alone: the loop refuses it, and no stored answer may stand in for a 403.
  bool allowed = false;
  for (const TargetConfig& target : model.targets) {
    const policy::Decision d = policy.decide(config.backends[target.backend_index]);
    if (d.action == policy::Action::kDeny) continue;
    allowed = true;
    request.pseudonymized = request.pseudonymized || RequestPolicy::rewrites(d);
  }
  if (!allowed) {
    rc.decision_ = {};
    return rc;
  }
  if (request.pseudonymized) rc.decision_ = cache::decide_caching(request);
  if (!rc.decision_.lookup && !rc.decision_.store) return rc;
  rc.cache_ = cache;
  rc.key_ = cache::make_cache_key(in.tenant, model.name, in.api_path, *in.body);
  if (rc.key_ && rc.decision_.store && in.stream && rc.api_ == cache::CacheApi::kChat) rc.capture_.emplace();
  return rc;
}

net::awaitable<void> RequestCache::look_up() {
  if (!cache_ || !key_ || !decision_.lookup) co_return;
  auto found = co_await cache_->lookup(*key_);
  found_ = std::move(found);
}

std::string_view RequestCache::result() const {
  if (!cache_ || !key_ || !decision_.lookup) return "bypass";
  return fresh() ? "hit" : "miss";
}

void RequestCache::note_stale_served() const {
  if (cache_) cache_->note_stale_served();
}

void RequestCache::keep_stream(const net::any_io_executor& executor) {
  if (!capture_ || !capture_->complete()) return;
  auto answer = capture_->answer();
  if (answer) spawn_store(executor, cache::AnswerKind::kChatCompletion, std::move(*answer));
}

void RequestCache::keep_buffered(const net::any_io_executor& executor, std::string_view upstream_body) {
  if (!cache_ || !key_ || !decision_.store) return;
  std::optional<std::string> body;
  cache::AnswerKind kind = cache::AnswerKind::kRawJson;
  if (api_ == cache::CacheApi::kChat) {
    body = cache::storable_chat_completion(upstream_body);
    kind = cache::AnswerKind::kChatCompletion;
  } else {
    body = cache::storable_raw_answer(upstream_body, api_ == cache::CacheApi::kCompletions);
  }
  if (body) spawn_store(executor, kind, std::move(*body));
}

// Not awaited: the client already has (or is being sent) its answer. The store holds its own
// copies; the cache outlives the workers (Server closes it after they stop).
void RequestCache::spawn_store(const net::any_io_executor& executor, cache::AnswerKind kind, std::string body) {
  if (stored_ || !cache_ || !key_ || !decision_.store) return;
  stored_ = true;
  cache::CacheKey key = *key_;
  net::co_spawn(executor, cache_->store(std::move(key), kind, std::move(body)), net::detached);
}

}  // namespace sovgw
