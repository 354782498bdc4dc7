// The per-connection HTTP loop: routing, behaviour choice and recording.
#include "session.hpp"

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <string>

#include "anthropic_answers.hpp"
#include "control.hpp"
#include "openai_answers.hpp"
#include "responder.hpp"

namespace sovgw::fake {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using net::awaitable;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::uint64_t kMaxBodyBytes = 64ull << 20;

struct Decision {
  Behaviour behaviour;
  RequestInfo info;
};

// A 400 in the shape of the API asked (Anthropic's on /v1/messages, OpenAI's elsewhere).
Behaviour bad_request(Endpoint endpoint, const std::string& message) {
  Behaviour b;
  b.action = Action::kStatus;
  b.status = 400;
  b.body = endpoint == Endpoint::kMessages ? anthropic_error_json("invalid_request_error", message)
                                           : error_json(message, "invalid_request_error", "");
  return b;
}

// Model-name behaviour first, then the script's queue, then normal. A body that is not JSON gets
// the 400 a real API gives and leaves the queue alone.
Decision decide(Script& script, std::string_view method, std::string_view path,
                const std::string& body) {
  Decision d;
  const auto endpoint = endpoint_for(method, path);
  d.info.endpoint = endpoint;
  json::value parsed;
  const bool has_body = method == "POST";
  if (has_body) {
    boost::system::error_code ec;
    parsed = json::parse(body, ec);
    if (ec) {
      d.behaviour = bad_request(endpoint, "We could not parse the JSON body of your request.");
      return d;
    }
  }
  d.info = describe_request(endpoint, has_body ? &parsed : nullptr);
  auto from_model = parse_model_behaviour(d.info.model);
  if (!from_model.error.empty()) {
    d.behaviour = bad_request(endpoint, "fake model: " + from_model.error);
  } else if (from_model.behaviour) {
    d.behaviour = std::move(*from_model.behaviour);
  } else {
    d.behaviour = script.next().value_or(Behaviour{});
  }
  return d;
}

RequestRecord make_record(const Request& req, std::uint64_t connection, Action action) {
  RequestRecord r;
  r.method = std::string(req.method_string());
  r.target = std::string(req.target());
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  r.body = req.body();
  r.connection = connection;
  r.action = std::string(action_name(action));
  return r;
}

template <class Stream>
awaitable<bool> handle_v1(Stream& stream, beast::flat_buffer& buffer, const Request& req,
                          std::string_view path, FakeServer& server, std::uint64_t connection) {
  auto decision = decide(server.script, req.method_string(), path, req.body());
  // Recorded before any answer byte, so a test sees even a request that is never answered.
  const auto seq = server.recorder.record(make_record(req, connection, decision.behaviour.action));
  const Exchange ex{server,
                    seq,
                    std::move(decision.behaviour),
                    std::move(decision.info),
                    std::string(req.method_string()) + " " + std::string(path),
                    req.version(),
                    req.keep_alive()};
  co_return co_await respond(stream, buffer, ex);
}

// Returns whether the connection may serve another request.
template <class Stream>
awaitable<bool> dispatch(Stream& stream, beast::flat_buffer& buffer, const Request& req,
                         FakeServer& server, std::uint64_t connection) {
  const std::string_view target = req.target();
  const auto path = target.substr(0, target.find('?'));
  if (path.starts_with("/v1/"))
    co_return co_await handle_v1(stream, buffer, req, path, server, connection);
  Reply reply;
  if (path.starts_with("/_fake/")) {
    reply = handle_control(server, req.method_string(), path, req.body());
  } else {
    reply = {404,
             "application/json",
             error_json(
                 "Invalid URL (" + std::string(req.method_string()) + " " + std::string(path) + ")",
                 "invalid_request_error", ""),
             {{"x-fake-name", server.name}}};
  }
  auto ec = co_await write_reply(stream, std::move(reply), req.version(), req.keep_alive());
  co_return !ec && req.keep_alive();
}

// Reads one request. End of stream, a reset or a request we cannot parse all return false.
template <class Stream>
awaitable<bool> read_request(Stream& stream, beast::flat_buffer& buffer,
                             http::request_parser<http::string_body>& parser) {
  parser.body_limit(kMaxBodyBytes);
  if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple); ec)
    co_return false;
  // curl sends `Expect: 100-continue` for bodies over 1 KiB and waits a second unless told to go
  // on.
  if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
    http::response<http::empty_body> go_on{http::status::continue_, parser.get().version()};
    if (auto [ec, n] = co_await http::async_write(stream, go_on, kTuple); ec) co_return false;
  }
  if (parser.is_done()) co_return true;
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
  co_return !ec;
}

template <class Stream>
awaitable<void> serve_http(Stream& stream, FakeServer& server, std::uint64_t connection) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    if (!co_await read_request(stream, buffer, parser)) co_return;
    if (!co_await dispatch(stream, buffer, parser.get(), server, connection)) co_return;
  }
}

void close_socket(tcp::socket& socket) {
  beast::error_code ignored;
  if (!socket.is_open()) return;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

}  // namespace

awaitable<void> serve_connection(tcp::socket socket, net::ssl::context* tls, FakeServer& server) {
  const auto connection = server.recorder.connection_opened();
  struct OpenCount {
    Recorder& recorder;
    ~OpenCount() { recorder.connection_closed(); }
  } counted{server.recorder};
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);  // one SSE event per segment, no Nagle delay
  if (!tls) {
    co_await serve_http(socket, server, connection);
    close_socket(socket);
    co_return;
  }
  net::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
  if (auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, kTuple); ec)
    co_return;
  co_await serve_http(stream, server, connection);
  close_socket(stream.next_layer());
}

}  // namespace sovgw::fake
