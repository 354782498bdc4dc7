#include "gateway/pipeline.hpp"

#include <boost/json.hpp>

#include "gateway/header_filter.hpp"
#include "gateway/log.hpp"
#include "gateway/openai_error.hpp"

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

bool is_event_stream(const http::fields& headers) {
  std::string_view type = headers[http::field::content_type];
  return type.substr(0, 17) == "text/event-stream";
}

// The parts of a client body the gateway needs; the body itself is forwarded as is when the
// target's model name equals the client's.
struct ParsedBody {
  json::object object;
  std::string model;
  bool stream = false;
};

Result<ParsedBody> parse_body(std::string_view body, bool can_stream, std::string& param) {
  json::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) {
    return make_error(ErrorCode::kInvalidRequest, ErrorSource::kDownstream, false,
                      "We could not parse the JSON body of your request. The body must be a JSON object.");
  }
  ParsedBody parsed{std::move(value.as_object()), {}, false};
  const json::value* model = parsed.object.if_contains("model");
  if (!model || !model->is_string() || model->as_string().empty()) {
    param = "model";
    return make_error(ErrorCode::kInvalidRequest, ErrorSource::kDownstream, false,
                      "You must provide a model parameter (a non-empty string).");
  }
  parsed.model = std::string(model->as_string());
  if (const json::value* stream = parsed.object.if_contains("stream"); stream && !stream->is_null()) {
    if (!stream->is_bool()) {
      param = "stream";
      return make_error(ErrorCode::kInvalidRequest, ErrorSource::kDownstream, false,
                        "The stream parameter must be a boolean.");
    }
    parsed.stream = stream->as_bool() && can_stream;
  }
  return parsed;
}

// The request as it leaves for one backend: the client's headers minus credentials and
// hop-by-hop ones, the backend's host and key, sovgw's request id.
backends::UpstreamRequest build_upstream_request(const ClientRequest& request, const backends::BackendConfig& backend,
                                                 const std::string& api_key, std::string_view api_path,
                                                 std::string body, const std::string& request_id) {
  backends::UpstreamRequest up{http::verb::post, backend.url.base_path + std::string(api_path), 11};
  copy_request_headers(request.base(), up.base());
  up.set(http::field::host, backend.url.host_header);
  up.set(http::field::content_type, "application/json");
  if (!api_key.empty()) up.set(http::field::authorization, "Bearer " + api_key);
  up.set("x-request-id", request_id);
  up.keep_alive(true);
  up.body() = std::move(body);
  up.prepare_payload();
  return up;
}

// Failures that happen before the backend saw the request: safe and useful to try the next target.
bool fails_over(ErrorCode code) { return code == ErrorCode::kUpstreamConnect || code == ErrorCode::kUpstreamTls; }

}  // namespace

net::awaitable<bool> Pipeline::handle(ClientRequest& request) {
  Context ctx;
  auto client_id = request["x-request-id"];
  ctx.request_id = acceptable_request_id(client_id) ? std::string(client_id) : worker_.next_request_id();
  ctx.keep_alive = request.keep_alive() && !worker_.shared().draining.load(std::memory_order_relaxed);
  ctx.deadline = Clock::now() + milliseconds(worker_.config().gateway.request_timeout_ms);

  std::string_view target = request.target();
  target = target.substr(0, target.find('?'));
  const bool post = request.method() == http::verb::post;
  const bool get = request.method() == http::verb::get;

  struct Route {
    std::string_view path;
    std::string_view upstream_path;
    bool can_stream;
  };
  static constexpr Route kProxied[] = {
      {"/v1/chat/completions", "/chat/completions", true},
      {"/v1/completions", "/completions", true},
      {"/v1/embeddings", "/embeddings", false},
  };
  for (const auto& route : kProxied) {
    if (target != route.path) continue;
    if (!post) co_return co_await send_error(ctx, ErrorCode::kMethodNotAllowed, "Use POST for " + std::string(target) + ".");
    co_return co_await proxy(request, ctx, route.upstream_path, route.can_stream);
  }
  if (target == "/v1/models" || target.starts_with("/v1/models/")) {
    if (!get) co_return co_await send_error(ctx, ErrorCode::kMethodNotAllowed, "Use GET for " + std::string(target) + ".");
    if (target == "/v1/models") co_return co_await send_json(ctx, 200, worker_.shared().models_body);
    co_return co_await get_model(ctx, target.substr(11));
  }
  co_return co_await send_error(ctx, ErrorCode::kNotFound,
                                "Unknown request URL: " + std::string(request.method_string()) + " " +
                                    std::string(target) + ".");
}

net::awaitable<bool> Pipeline::get_model(Context& ctx, std::string_view id) {
  const ModelConfig* model = worker_.config().find_model(id);
  if (!model) {
    co_return co_await send_error(ctx, ErrorCode::kModelNotFound,
                                  "The model `" + std::string(id) + "` does not exist or you do not have access to it.",
                                  "model");
  }
  json::object obj{{"id", model->name}, {"object", "model"}, {"created", 0}, {"owned_by", "sovgw"}};
  co_return co_await send_json(ctx, 200, json::serialize(obj));
}

net::awaitable<bool> Pipeline::proxy(ClientRequest& request, Context& ctx, std::string_view api_path, bool can_stream) {
  std::string param;
  auto parsed = parse_body(request.body(), can_stream, param);
  if (!parsed) {
    co_return co_await send_error(ctx, parsed.error().code, parsed.error().detail,
                                  param.empty() ? std::nullopt : std::optional<std::string_view>(param));
  }
  const Config& cfg = worker_.config();
  const ModelConfig* model = cfg.find_model(parsed->model);
  if (!model) {
    co_return co_await send_error(
        ctx, ErrorCode::kModelNotFound,
        "The model `" + parsed->model + "` does not exist or you do not have access to it.", "model");
  }

  std::string failures;
  Error last;
  for (const TargetConfig& target : model->targets) {
    const backends::BackendConfig& backend = cfg.backends[target.backend_index];
    // Forward the client's bytes untouched unless the backend knows the model by another name.
    std::string body;
    if (target.model == parsed->model) {
      body = request.body();
    } else {
      parsed->object["model"] = target.model;
      body = json::serialize(parsed->object);
    }
    auto up = build_upstream_request(request, backend, worker_.shared().api_keys[target.backend_index], api_path,
                                     std::move(body), ctx.request_id);
    backends::ExchangeTimeouts timeouts;
    timeouts.first_byte = milliseconds(parsed->stream ? backend.stream_first_byte_timeout_ms : backend.first_byte_timeout_ms);
    timeouts.idle = milliseconds(backend.stream_idle_timeout_ms);
    timeouts.deadline = std::min(ctx.deadline, Clock::now() + milliseconds(backend.total_timeout_ms));

    auto exchange = co_await backends::UpstreamExchange::start(worker_.pool(target.backend_index), up, timeouts);
    if (!exchange) {
      last = exchange.error();
      log_warn("request_id=" + ctx.request_id + " model=" + model->name + " attempt failed: " + last.detail);
      if (fails_over(last.code)) {
        failures += (failures.empty() ? "" : "; ") + last.detail;
        continue;
      }
      co_return co_await send_error(ctx, last.code, last.detail);
    }
    if (parsed->stream && (*exchange)->status() == 200 && is_event_stream((*exchange)->headers())) {
      co_return co_await relay_stream(ctx, std::move(*exchange), backend.name);
    }
    co_return co_await send_buffered(ctx, std::move(*exchange), backend.name);
  }
  co_return co_await send_error(ctx, last.code,
                                "No target of model `" + model->name + "` could be reached: " + failures + ".");
}

net::awaitable<bool> Pipeline::send_buffered(Context& ctx, std::unique_ptr<backends::UpstreamExchange> exchange,
                                             const std::string& backend) {
  auto body = co_await exchange->read_body(worker_.config().gateway.max_response_bytes);
  if (!body) co_return co_await send_error(ctx, body.error().code, body.error().detail, std::nullopt, &backend);
  const unsigned status = exchange->status();
  if (status >= 500 && !looks_like_json(*body)) {
    co_return co_await send_error(ctx, ErrorCode::kUpstreamStatus,
                                  "Backend " + backend + " answered HTTP " + std::to_string(status) +
                                      " with a body that is not JSON.",
                                  std::nullopt, &backend);
  }
  ClientResponse response{static_cast<http::status>(status), 11};
  copy_response_headers(exchange->headers(), response.base());
  if (auto upstream_id = exchange->headers()["x-request-id"]; !upstream_id.empty()) {
    response.erase("x-request-id");
    response.set("x-upstream-request-id", upstream_id);
  }
  exchange.reset();  // the connection goes back to the pool before the client is written to
  response.set("x-request-id", ctx.request_id);
  response.set("x-sovgw-backend", backend);
  response.keep_alive(ctx.keep_alive);
  response.body() = std::move(*body);
  response.prepare_payload();
  const bool sent = co_await client_.send(response);
  co_return sent && ctx.keep_alive;
}

net::awaitable<bool> Pipeline::send_json(Context& ctx, unsigned status, std::string body) {
  ClientResponse response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json");
  response.set("x-request-id", ctx.request_id);
  response.keep_alive(ctx.keep_alive);
  response.body() = std::move(body);
  response.prepare_payload();
  const bool sent = co_await client_.send(response);
  co_return sent && ctx.keep_alive;
}

net::awaitable<bool> Pipeline::send_error(Context& ctx, ErrorCode code, std::string_view message,
                                          std::optional<std::string_view> param, const std::string* backend) {
  if (code == ErrorCode::kClientGone) co_return false;
  auto error = to_client_error(code, message, param);
  ClientResponse response{static_cast<http::status>(error.status), 11};
  response.set(http::field::content_type, "application/json");
  response.set("x-request-id", ctx.request_id);
  if (backend) response.set("x-sovgw-backend", *backend);
  response.keep_alive(ctx.keep_alive);
  response.body() = std::move(error.body);
  response.prepare_payload();
  const bool sent = co_await client_.send(response);
  co_return sent && ctx.keep_alive;
}

}  // namespace sovgw
