#include "gateway/admin_api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "gateway/openai_error.hpp"

namespace sovgw {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);

namespace {

http::response<http::string_body> admin_response(Worker& worker, const http::request<http::string_body>& request) {
  std::string_view target = request.target();
  target = target.substr(0, target.find('?'));
  http::response<http::string_body> response{http::status::ok, 11};
  response.set(http::field::content_type, "application/json");
  const auto& shared = worker.shared();
  if (target == "/healthz") {
    response.body() = R"({"status":"ok"})";
  } else if (target == "/readyz") {
    const bool draining = shared.draining.load();
    const bool ready = shared.ready.load() && !draining;
    response.result(ready ? http::status::ok : http::status::service_unavailable);
    response.body() = ready ? R"({"status":"ready"})"
                            : (draining ? R"({"status":"draining"})" : R"({"status":"starting"})");
  } else {
    auto error = to_client_error(ErrorCode::kNotFound, "Unknown admin URL: " + std::string(target) + ".");
    response.result(error.status);
    response.body() = std::move(error.body);
  }
  response.keep_alive(request.keep_alive());
  response.prepare_payload();
  return response;
}

}  // namespace

net::awaitable<void> run_admin_session(Worker& worker, net::ip::tcp::socket socket) {
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
    auto response = admin_response(worker, parser.get());
    auto [wec, wn] = co_await http::async_write(stream, response, kAsTuple);
    (void)wn;
    if (wec || !response.keep_alive()) break;
  }
  boost::system::error_code ec;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
}

}  // namespace sovgw
