// Pipeline: what happens to one client request, top to bottom, in the order of handle():
//   route        → which API (chat, completions, embeddings, Anthropic messages, models) or 404/405
//   authenticate → with [[tenants]] configured, the gateway API key names the tenant (401 otherwise)
//   parse        → the JSON body must be an object with a string "model" (400 otherwise)
//   select model → the [[models]] entry, or 404 model_not_found
//   policy       → scan the body for PII once (RequestPolicy); before each target, the policy
//                  decides what may go there: unchanged, redacted, pseudonymised or nothing
//                  (403 when no target may receive it)
//   cache        → with [cache] on: a fresh stored answer is replayed with no upstream call;
//                  otherwise the answer is kept once sent, and a stale one stands in when every
//                  target fails (RequestCache)
//   choose       → the model's targets in order, minus those sovereign mode forbids and those
//                  whose backend is open, cut off or busy (skipped at no cost)
//   call         → each attempt classified (FailureClassifier) and recorded (BackendHealth);
//                  at most one jittered retry of a 5xx on the same backend, within the retry
//                  budget; otherwise the next target (proxy_call.cpp)
//   respond      → the upstream answer, buffered (JSON) or relayed event by event (SSE, which
//                  commits to the client only at the first real content: StreamRelay)
// A client and a backend that speak different protocols (OpenAI, Anthropic Messages) are
// translated per target, request and answer and errors alike (ProtocolBridge); sovgw's own errors
// reach an Anthropic client in Anthropic's shape.
// Every response carries x-request-id, and x-sovgw-backend when a backend answered; every
// response of a proxied route carries x-sovgw-cache: hit|miss|stale|bypass.
// One Pipeline per client connection, on that connection's worker thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "backends/upstream_exchange.hpp"
#include "gateway/client_connection.hpp"
#include "gateway/request_record.hpp"
#include "gateway/worker.hpp"
#include "policy/redaction.hpp"

namespace sovgw::cache {
struct CachedAnswer;
}

namespace sovgw {

class RequestCache;
using ClientRequest = boost::beast::http::request<boost::beast::http::string_body>;

class Pipeline {
 public:
  Pipeline(Worker& worker, ClientConnection& client) : worker_(worker), client_(client) {}

  // Answers one request. Returns true when the connection may carry another request.
  boost::asio::awaitable<bool> handle(ClientRequest& request);

  // One request's state while the pipeline handles it.
  struct Context {
    std::string request_id;
    std::string tenant = "default";
    const TenantConfig* tenant_config = nullptr;  // null: the anonymous default tenant
    bool keep_alive = true;
    std::chrono::steady_clock::time_point deadline;
    unsigned attempts = 0;  // upstream attempts made, for x-sovgw-attempts
    bool proxied = false;   // a proxied API route: responses carry x-sovgw-cache
    backends::Protocol client_protocol = backends::Protocol::kOpenAi;  // /v1/messages: Anthropic
    RequestCache* cache = nullptr;  // the request's cache stage, once decided
    RequestRecord record;   // what happened, reported once when the request ends
  };

 private:
  // An upstream error answer kept while other targets are tried: if none does better, the client
  // gets the provider's own words.
  struct HeldResponse {
    unsigned status = 0;
    boost::beast::http::fields headers;
    std::string body;
    std::string backend;
    backends::Protocol protocol = backends::Protocol::kOpenAi;  // the body's shape
  };

  boost::asio::awaitable<bool> route(ClientRequest& request, Context& ctx);
  // The one place a finished request is reported (metrics, access log, audit), on every path.
  void report(Context& ctx);
  boost::asio::awaitable<bool> proxy(ClientRequest& request, Context& ctx, std::string_view api_path, bool can_stream);
  // A 2xx JSON answer: translated to the client's protocol where the backend's differs,
  // pseudonyms restored, kept by the cache in OpenAI's form.
  boost::asio::awaitable<bool> send_buffered(Context& ctx, std::unique_ptr<backends::UpstreamExchange> exchange,
                                             const backends::BackendConfig& backend,
                                             const policy::RedactionMapping* restore = nullptr);
  // Who is calling: with [[tenants]] configured, the gateway API key decides (401 otherwise).
  bool authenticate(const ClientRequest& request, Context& ctx) const;
  boost::asio::awaitable<bool> send_held(Context& ctx, HeldResponse& held);
  // A stored answer (a hit, or stale after every target failed) replayed as the client asked:
  // one SSE body or JSON. record.cache_result must already say which.
  boost::asio::awaitable<bool> send_cached(Context& ctx, const cache::CachedAnswer& answer, bool stream,
                                           bool include_usage);
  boost::asio::awaitable<bool> send_non_json_5xx(Context& ctx, unsigned status, const std::string& backend);
  static void copy_upstream_headers(const boost::beast::http::fields& from, ClientResponse& response);
  boost::asio::awaitable<bool> send_json(Context& ctx, unsigned status, std::string body);
  boost::asio::awaitable<bool> send_response(Context& ctx, ClientResponse& response);
  boost::asio::awaitable<bool> send_error(Context& ctx, ErrorCode code, std::string_view message,
                                          std::optional<std::string_view> param = {},
                                          const std::string* backend = nullptr);
  boost::asio::awaitable<bool> get_model(Context& ctx, std::string_view id);

  Worker& worker_;
  ClientConnection& client_;
};

}  // namespace sovgw
