#include "gateway/pipeline.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include "backends/openai_chunk.hpp"
#include "cache/sse_replay.hpp"
#include "gateway/audit_sink.hpp"
#include "gateway/access_log.hpp"
#include "gateway/header_filter.hpp"
#include "gateway/log.hpp"
#include "gateway/openai_error.hpp"
#include "gateway/protocol_bridge.hpp"
#include "gateway/request_cache.hpp"

namespace sovgw {

namespace net = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// A client-supplied request id is kept when it is short and plain; otherwise sovgw makes one.
bool acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

bool looks_like_json(std::string_view body) {
  auto pos = body.find_first_not_of(" \t\r\n");
  return pos != std::string_view::npos && (body[pos] == '{' || body[pos] == '[');
}

}  // namespace

net::awaitable<bool> Pipeline::handle(ClientRequest& request) {
  Context ctx;
  auto client_id = request["x-request-id"];
  ctx.request_id = acceptable_request_id(client_id) ? std::string(client_id) : worker_.next_request_id();
  ctx.keep_alive = request.keep_alive() && !worker_.shared().draining.load(std::memory_order_relaxed);
  ctx.deadline = Clock::now() + milliseconds(worker_.config().gateway.request_timeout_ms);
  ctx.record.start = Clock::now();
  ctx.record.start_time = std::chrono::system_clock::now();
  ctx.record.request_id = ctx.request_id;
  ctx.record.bytes_in = request.body().size();
  const bool keep_alive = co_await route(request, ctx);
  report(ctx);
  co_return keep_alive;
}

void Pipeline::report(Context& ctx) {
  RequestRecord& rec = ctx.record;
  rec.duration = Clock::now() - rec.start;
  rec.tenant = ctx.tenant;
  if (rec.status == 0) rec.status = 499;  // the client left before an answer
  if (rec.outcome.empty()) rec.outcome = rec.status < 400 ? "ok" : rec.status == 499 ? "client_gone" : "error";
  // Only API requests that named a model carry decisions worth proving; 404s and /v1/models
  // lookups are left to the access log.
  SharedState& shared = worker_.shared();
  shared.metrics.observe(worker_.index(), rec);
  if (shared.access_log) shared.access_log->write(worker_.index(), rec);
  if (rec.model_known) audit_request(shared, rec);
}

net::awaitable<bool> Pipeline::route(ClientRequest& request, Context& ctx) {
  std::string_view target = request.target();
  target = target.substr(0, target.find('?'));
  const bool post = request.method() == http::verb::post;
  const bool get = request.method() == http::verb::get;

  struct Route {
    std::string_view path;
    std::string_view upstream_path;
    bool can_stream;
    std::string_view api;  // RequestRecord::api
  };
  static constexpr Route kProxied[] = {
      {"/v1/chat/completions", "/chat/completions", true, "chat"},
      {"/v1/completions", "/completions", true, "completions"},
      {"/v1/embeddings", "/embeddings", false, "embeddings"},
      {"/v1/messages", "/messages", true, "messages"},
  };
  const bool api = target.starts_with("/v1/");
  if (target == "/v1/messages") ctx.client_protocol = backends::Protocol::kAnthropic;
  if (api && !authenticate(request, ctx)) {
    co_return co_await send_error(ctx, ErrorCode::kUnauthorized,
                                  "Incorrect or missing API key. Send your sovgw API key as 'Authorization: Bearer KEY' "
                                  "(or 'x-api-key: KEY').");
  }
  ctx.record.api = "other";
  for (const auto& route : kProxied) {
    if (target != route.path) continue;
    ctx.record.api = route.api;
    ctx.proxied = true;
    if (!post) co_return co_await send_error(ctx, ErrorCode::kMethodNotAllowed, "Use POST for " + std::string(target) + ".");
    co_return co_await proxy(request, ctx, route.upstream_path, route.can_stream);
  }
  if (target == "/v1/models" || target.starts_with("/v1/models/")) {
    ctx.record.api = "models";
    // Anthropic SDKs list models too; they say who they are with anthropic-version.
    if (!request["anthropic-version"].empty()) ctx.client_protocol = backends::Protocol::kAnthropic;
    if (!get) co_return co_await send_error(ctx, ErrorCode::kMethodNotAllowed, "Use GET for " + std::string(target) + ".");
    if (target == "/v1/models") {
      const SharedState& shared = worker_.shared();
      co_return co_await send_json(ctx, 200, ctx.client_protocol == backends::Protocol::kAnthropic
                                                 ? shared.anthropic_models_body
                                                 : shared.models_body);
    }
    co_return co_await get_model(ctx, target.substr(11));
  }
  co_return co_await send_error(ctx, ErrorCode::kNotFound,
                                "Unknown request URL: " + std::string(request.method_string()) + " " +
                                    std::string(target) + ".");
}

bool Pipeline::authenticate(const ClientRequest& request, Context& ctx) const {
  const auto& shared = worker_.shared();
  if (worker_.config().tenants.empty()) return true;
  // OpenAI SDKs send `Authorization: Bearer KEY`, Anthropic SDKs `x-api-key: KEY`.
  std::string_view auth = request[http::field::authorization];
  if (auth.empty()) {
    auth = request["x-api-key"];
  } else if (auth.size() >= 8 && boost::beast::iequals(auth.substr(0, 7), "bearer ")) {
    auth.remove_prefix(7);
  } else {
    return false;
  }
  if (auth.empty()) return false;
  const auto it = shared.tenant_keys.find(std::string(auth));
  if (it == shared.tenant_keys.end()) return false;
  ctx.tenant_config = &worker_.config().tenants[it->second];
  ctx.tenant = ctx.tenant_config->name;
  return true;
}

net::awaitable<bool> Pipeline::get_model(Context& ctx, std::string_view id) {
  const ModelConfig* model = worker_.config().find_model(id);
  if (!model) {
    co_return co_await send_error(ctx, ErrorCode::kModelNotFound,
                                  "The model `" + std::string(id) + "` does not exist or you do not have access to it.",
                                  "model");
  }
  json::object obj = ctx.client_protocol == backends::Protocol::kAnthropic
                        ? anthropic_model_object(model->name)
                        : json::object{{"id", model->name}, {"object", "model"}, {"created", 0}, {"owned_by", "sovgw"}};
  co_return co_await send_json(ctx, 200, json::serialize(obj));
}

net::awaitable<bool> Pipeline::send_buffered(Context& ctx, std::unique_ptr<backends::UpstreamExchange> exchange,
                                             const backends::BackendConfig& backend,
                                             const policy::RedactionMapping* restore) {
  const auto read_start = Clock::now();
  auto body = co_await exchange->read_body(worker_.config().gateway.max_response_bytes);
  ctx.record.upstream_duration += Clock::now() - read_start;
  if (!body) co_return co_await send_error(ctx, body.error().code, body.error().detail, std::nullopt, &backend.name);
  // The client's response takes the upstream headers directly (no intermediate copy); the
  // connection goes back to the pool before the client is written to.
  ClientResponse response{static_cast<http::status>(exchange->status()), 11};
  copy_upstream_headers(exchange->headers(), response);
  const unsigned status = exchange->status();
  exchange.reset();
  response.set("x-sovgw-backend", backend.name);
  const auto usage = backends::find_usage(*body);
  ctx.record.input_tokens = usage.prompt_tokens;
  ctx.record.output_tokens = usage.completion_tokens;
  // The cache keeps the upstream's own answer (in OpenAI's form), never one with restored values
  // (such requests bypass the cache; the check is belt and braces).
  const bool keep = ctx.cache && ctx.cache->storing() && status == 200 && !(restore && !restore->empty());
  const bool translate = ctx.client_protocol != backend.protocol;
  const auto executor = co_await net::this_coro::executor;
  if (translate || (keep && backend.protocol != backends::Protocol::kOpenAi)) {
    auto openai = answer_as_openai(backend.protocol, translate ? std::move(*body) : *body, "");
    if (openai && keep) ctx.cache->keep_buffered(executor, *openai);
    if (openai && translate) openai = answer_for_client(ctx.client_protocol, std::move(*openai), "");
    if (!openai) {
      co_return co_await send_error(ctx, ErrorCode::kUpstreamProtocol,
                                    "Backend " + backend.name + " answered with a body sovgw could not translate (" +
                                        openai.error().detail + ").",
                                    std::nullopt, &backend.name);
    }
    if (translate) *body = std::move(*openai);
  } else if (keep) {
    ctx.cache->keep_buffered(executor, *body);
  }
  // A pseudonymised request: the answer's placeholders become the original values again.
  response.body() = restore && !restore->empty() ? policy::restore(*body, *restore, /*json_escape=*/true) : std::move(*body);
  co_return co_await send_response(ctx, response);
}

net::awaitable<bool> Pipeline::send_held(Context& ctx, HeldResponse& held) {
  if (held.status >= 500 && !looks_like_json(held.body)) co_return co_await send_non_json_5xx(ctx, held.status, held.backend);
  // The provider's own words, in the client's protocol's error shape.
  auto answer = error_for_client(ctx.client_protocol, held.protocol, held.status, std::move(held.body));
  ClientResponse response{static_cast<http::status>(answer.status), 11};
  copy_upstream_headers(held.headers, response);
  response.set("x-sovgw-backend", held.backend);
  response.body() = std::move(answer.body);
  co_return co_await send_response(ctx, response);
}

net::awaitable<bool> Pipeline::send_cached(Context& ctx, const cache::CachedAnswer& answer, bool stream,
                                           bool include_usage) {
  ClientResponse response{http::status::ok, 11};
  cache::ReplayOptions options;
  options.include_usage = include_usage;
  std::optional<std::string> sse;
  if (stream) sse = cache::replay_sse(answer, options);
  if (sse) {
    response.set(http::field::content_type, "text/event-stream");
    response.set(http::field::cache_control, "no-cache");
    response.body() = ctx.client_protocol == backends::Protocol::kAnthropic ? sse_for_anthropic(*sse) : std::move(*sse);
  } else {
    response.set(http::field::content_type, "application/json");
    auto body = answer_for_client(ctx.client_protocol, cache::replay_json(answer, options), "");
    if (!body) co_return co_await send_error(ctx, ErrorCode::kInternal, "A cached answer could not be translated.");
    response.body() = std::move(*body);
  }
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - answer.stored_at);
  response.set(http::field::age, std::to_string(std::max<std::int64_t>(age.count(), 0)));
  co_return co_await send_response(ctx, response);
}

// An upstream 5xx whose body is not JSON (an HTML error page): the client gets sovgw's own error
// in OpenAI's shape, never the page.
net::awaitable<bool> Pipeline::send_non_json_5xx(Context& ctx, unsigned status, const std::string& backend) {
  co_return co_await send_error(ctx, ErrorCode::kUpstreamStatus,
                                "Backend " + backend + " answered HTTP " + std::to_string(status) +
                                    " with a body that is not JSON.",
                                std::nullopt, &backend);
}

// The upstream's end-to-end headers; its request id is kept as x-upstream-request-id.
void Pipeline::copy_upstream_headers(const http::fields& from, ClientResponse& response) {
  copy_response_headers(from, response.base());
  if (auto upstream_id = from["x-request-id"]; !upstream_id.empty()) {
    response.erase("x-request-id");
    response.set("x-upstream-request-id", upstream_id);
  }
}

net::awaitable<bool> Pipeline::send_json(Context& ctx, unsigned status, std::string body) {
  ClientResponse response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  co_return co_await send_response(ctx, response);
}

net::awaitable<bool> Pipeline::send_error(Context& ctx, ErrorCode code, std::string_view message,
                                          std::optional<std::string_view> param, const std::string* backend) {
  if (code == ErrorCode::kClientGone) co_return false;
  ctx.record.error_code = error_code_name(code);
  auto error = to_client_error(code, message, param);
  ClientResponse response{static_cast<http::status>(error.status), 11};
  response.set(http::field::content_type, "application/json");
  if (backend) response.set("x-sovgw-backend", *backend);
  response.body() = own_error_for_client(ctx.client_protocol, error.status, std::move(error.body));
  co_return co_await send_response(ctx, response);
}

// Every answer leaves through here: sovgw's request id, the attempt count, and keep-alive unless
// the client asked to close or the gateway is draining.
net::awaitable<bool> Pipeline::send_response(Context& ctx, ClientResponse& response) {
  response.set("x-request-id", ctx.request_id);
  if (ctx.attempts > 0) response.set("x-sovgw-attempts", std::to_string(ctx.attempts));
  if (ctx.proxied) response.set("x-sovgw-cache", ctx.record.cache_result);
  ctx.keep_alive = ctx.keep_alive && !worker_.shared().draining.load(std::memory_order_relaxed);
  response.keep_alive(ctx.keep_alive);
  response.prepare_payload();
  ctx.record.status = response.result_int();
  ctx.record.bytes_out = response.body().size();
  if (auto backend = response["x-sovgw-backend"]; !backend.empty()) ctx.record.backend = backend;
  const bool sent = co_await client_.send(response);
  co_return sent && ctx.keep_alive;
}

}  // namespace sovgw
