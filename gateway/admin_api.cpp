#include "gateway/admin_api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <boost/json.hpp>

#include "gateway/admin_cache.hpp"
#include "gateway/log.hpp"
#include "gateway/openai_error.hpp"
#include "gateway/config_report.hpp"
#include "gateway/policy_explain.hpp"
#include "gateway/sovereignty_report.hpp"

namespace sovgw {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);

namespace {

void set_error(http::response<http::string_body>& response, ErrorCode code, std::string_view message) {
  auto error = to_client_error(code, message);
  response.result(error.status);
  response.body() = std::move(error.body);
}

// POST /admin/sovereign-mode {"enabled": true|false}: cut (or restore) all foreign egress at once.
void set_sovereign_mode(SharedState& shared, const http::request<http::string_body>& request, const std::string& peer,
                        http::response<http::string_body>& response) {
  boost::json::error_code ec;
  auto body = boost::json::parse(request.body(), ec);
  const boost::json::value* enabled = (!ec && body.is_object()) ? body.as_object().if_contains("enabled") : nullptr;
  if (!enabled || !enabled->is_bool()) {
    set_error(response, ErrorCode::kInvalidRequest, "Send {\"enabled\": true} or {\"enabled\": false}.");
    return;
  }
  const bool was = shared.sovereign_mode.exchange(enabled->as_bool());
  if (was != enabled->as_bool()) {
    log_error(std::string("SOVEREIGN MODE ") + (enabled->as_bool() ? "ENTERED" : "LEFT") +
              " by admin API request from " + peer);
  }
  response.body() = boost::json::serialize(boost::json::object{{"sovereign_mode", enabled->as_bool()}, {"changed", was != enabled->as_bool()}});
}

// POST /admin/policy/explain {"model","tenant","data_class","text"|"body"|...}: what the policy
// decides for that request, target by target, without sending anything anywhere.
void explain(Worker& worker, const http::request<http::string_body>& request,
             http::response<http::string_body>& response) {
  auto input = parse_explain_request(request.body());
  if (!input) {
    set_error(response, input.error().code, input.error().detail);
    return;
  }
  auto out = explain_policy(worker.config(), worker.shared().policy_engine, worker.scratch(), *input);
  if (!out) {
    set_error(response, out.error().code, out.error().detail);
    return;
  }
  response.body() = boost::json::serialize(*out);
}

// 401 in OpenAI's error shape; the attempt is logged with the peer, never with what it sent.
void refuse_unauthorized(http::response<http::string_body>& response, std::string_view target, const std::string& peer) {
  log_warn("admin API: " + std::string(target) + " refused to " + peer + ": missing or wrong bearer token");
  response.result(http::status::unauthorized);
  response.set(http::field::www_authenticate, "Bearer realm=\"sovgw-admin\"");
  response.body() = boost::json::serialize(boost::json::object{
      {"error", boost::json::object{{"message", "The admin API needs 'Authorization: Bearer <token>' (admin.token_env)."},
                                    {"type", "invalid_request_error"},
                                    {"param", nullptr},
                                    {"code", "invalid_api_key"}}}});
}

http::response<http::string_body> admin_response(Worker& worker, const http::request<http::string_body>& request,
                                                 const std::string& peer) {
  std::string_view target = request.target();
  target = target.substr(0, target.find('?'));
  http::response<http::string_body> response{http::status::ok, 11};
  response.set(http::field::content_type, "application/json");
  auto& shared = worker.shared();
  const auto now = std::chrono::steady_clock::now();
  const bool get = request.method() == http::verb::get;
  const bool post = request.method() == http::verb::post;
  if (shared.admin_auth.required_for(target) && !shared.admin_auth.accepts(request[http::field::authorization])) {
    refuse_unauthorized(response, target, peer);
  } else if (target == "/metrics" && get) {
    response.set(http::field::content_type, Metrics::kContentType);
    response.body() = shared.metrics.scrape(shared, now);
  } else if (target == "/admin/config" && get) {
    std::vector<std::size_t> tenant_keys(worker.config().tenants.size(), 0);
    for (const auto& [key, index] : shared.tenant_keys) ++tenant_keys[index];
    response.body() = effective_config_json(worker.config(), shared.api_keys, tenant_keys);
  } else if (target == "/admin/backends" && get) {
    response.body() = backends_report(shared, now);
  } else if (target == "/admin/drill" && (get || post)) {
    response.body() = drill_report(shared, now);
  } else if (target == "/admin/policy/explain" && post) {
    explain(worker, request, response);
  } else if (target == "/admin/sovereign-mode" && get) {
    response.body() = boost::json::serialize(boost::json::object{{"sovereign_mode", shared.sovereign_mode.load()}});
  } else if (target == "/admin/sovereign-mode" && post) {
    set_sovereign_mode(shared, request, peer, response);
  } else if (target == "/healthz") {
    response.body() = R"({"status":"ok"})";
  } else if (target == "/readyz") {
    const bool draining = shared.draining.load();
    const bool ready = shared.ready.load() && !draining;
    response.result(ready ? http::status::ok : http::status::service_unavailable);
    response.body() = ready ? R"({"status":"ready"})"
                            : (draining ? R"({"status":"draining"})" : R"({"status":"starting"})");
  } else {
    set_error(response, ErrorCode::kNotFound, "Unknown admin URL: " + std::string(target) + ".");
  }
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

http::response<http::string_body> json_response(unsigned status, std::string body, bool keep_alive) {
  http::response<http::string_body> response{static_cast<http::status>(status), 11};
  response.set(http::field::content_type, "application/json");
  response.body() = std::move(body);
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

}  // namespace

net::awaitable<void> run_admin_session(Worker& worker, net::ip::tcp::socket socket) {
  boost::system::error_code peer_ec;
  const auto remote = socket.remote_endpoint(peer_ec);
  const std::string peer = peer_ec ? "unknown peer" : remote.address().to_string() + ":" + std::to_string(remote.port());
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(1024 * 1024);
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kAsTuple);
    (void)n;
    if (ec) break;
    const auto& request = parser.get();
    std::string_view path = request.target();
    path = path.substr(0, path.find('?'));
    http::response<http::string_body> response;
    if (is_cache_admin_path(path)) {
      // Awaited here, not in admin_response: clearing runs on the cache's own threads.
      auto answer = co_await answer_cache_admin(worker.shared(), request.method_string(), request.target(), peer);
      response = json_response(answer.status, std::move(answer.body), request.keep_alive());
    } else {
      response = admin_response(worker, request, peer);
    }
    auto [wec, wn] = co_await http::async_write(stream, response, kAsTuple);
    (void)wn;
    if (wec || !response.keep_alive()) break;
  }
  boost::system::error_code ec;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace sovgw
