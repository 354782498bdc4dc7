// HttpClient: see http_client.hpp. Each call runs one coroutine on the client's own io_context
// until it finishes, so the API is blocking while the I/O underneath (timeouts, the concurrent
// reader and writer of raw()) is Asio's. One deadline per call covers connect, write and read.
// The raw mode lives in http_client_raw.cpp.
#include "tests/support/http_client.hpp"
#include "tests/support/http_client_internal.hpp"

#include <openssl/ssl.h>

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

namespace sovgw::testing {
namespace http_internal {

std::optional<Url> parse_url(std::string_view s) {
  Url u;
  if (s.starts_with("http://")) {
    s.remove_prefix(7);
  } else if (s.starts_with("https://")) {
    u.tls = true;
    s.remove_prefix(8);
  } else {
    return std::nullopt;
  }
  auto slash = s.find('/');
  std::string_view authority = s.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(s.substr(slash));
  u.host_header = std::string(authority);
  std::string_view rest;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    rest = authority.substr(close + 1);
  } else {
    auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) rest = authority.substr(colon);
  }
  if (rest.empty()) {
    u.port = u.tls ? "443" : "80";
  } else if (rest.front() == ':' && rest.size() > 1) {
    u.port = std::string(rest.substr(1));
  } else {
    return std::nullopt;
  }
  if (u.host.empty()) return std::nullopt;
  return u;
}

std::string describe(const beast::error_code& ec) {
  if (!ec) return {};
  if (ec == beast::error::timeout) return "timeout";
  if (ec == asio::error::connection_reset) return "reset";
  if (ec == asio::error::connection_refused) return "refused";
  if (ec == beast::http::error::end_of_stream || ec == asio::error::eof) return "eof";
  if (ec == beast::http::error::partial_message) return "partial";
  return ec.message();
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

}  // namespace http_internal

namespace {

using namespace http_internal;
namespace http = beast::http;
namespace ssl = asio::ssl;
constexpr std::uint32_t kHeaderLimit = 1 << 20;
constexpr std::uint64_t kBodyLimit = 1ull << 30;

std::map<std::string, std::string> lower_case_headers(const http::fields& fields) {
  std::map<std::string, std::string> out;
  for (const auto& f : fields) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [it, inserted] = out.emplace(name, std::string(f.value()));
    if (!inserted) (it->second += ", ") += f.value();
  }
  return out;
}

std::string find_header(const std::map<std::string, std::string>& headers, std::string_view name) {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

// Results that carry only an error (designated initialisers would warn about the other members).
template <class T>
T failed(std::string error) {
  T r;
  r.error = std::move(error);
  return r;
}

http::request<http::string_body> make_request(std::string_view method, const Url& u, std::string_view body,
                                              const HttpHeaders& headers) {
  http::request<http::string_body> req;
  if (auto verb = http::string_to_verb(method); verb != http::verb::unknown) {
    req.method(verb);
  } else {
    req.method_string(method);
  }
  req.target(u.target);
  req.version(11);
  req.set(http::field::host, u.host_header);
  req.set(http::field::user_agent, "sovgw-integration-test");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  bool framing_given = false;
  for (const auto& [name, value] : headers) {
    req.erase(name);
    framing_given = framing_given || iequals(name, "content-length") || iequals(name, "transfer-encoding");
  }
  for (const auto& [name, value] : headers) req.insert(name, value);
  req.body() = std::string(body);
  if (!framing_given) req.prepare_payload();
  return req;
}

// Splits an SSE body into events the way SDK clients do (LF or CRLF line endings): events with
// data are reported, comment-only blocks are not.
class SseSplitter {
 public:
  // on_event(name, data) returns false to stop; feed then returns false too.
  template <class F>
  bool feed(std::string_view bytes, F&& on_event) {
    pending_.append(bytes);
    std::size_t start = 0;
    bool go_on = true;
    for (std::size_t nl; go_on && (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(pending_.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) {
        if (has_data_) go_on = on_event(name_, data_);
        name_.clear();
        data_.clear();
        has_data_ = false;
        continue;
      }
      if (line.front() == ':') continue;
      auto colon = line.find(':');
      std::string_view field = line.substr(0, colon);
      std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (field == "data") {
        if (has_data_) data_ += '\n';
        data_ += value;
        has_data_ = true;
      } else if (field == "event") {
        name_ = value;
      }
    }
    pending_.erase(0, start);
    return go_on;
  }

 private:
  std::string pending_, name_, data_;
  bool has_data_ = false;
};

// One open connection, plain or TLS.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  beast::tcp_stream& tcp() { return tls ? tls->next_layer() : *plain; }
};

awaitable<beast::error_code> open_connection(ssl::context& tls_ctx, bool verify, const Url& u,
                                             Clock::time_point deadline, Connection& c) {
  auto ex = co_await asio::this_coro::executor;
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(u.host, u.port, kAsTuple);
  if (rec) co_return rec;
  auto stream = std::make_unique<beast::tcp_stream>(ex);
  stream->expires_at(deadline);
  auto [cec, ep] = co_await stream->async_connect(endpoints, kAsTuple);
  if (cec) co_return cec;
  stream->socket().set_option(tcp::no_delay(true));
  if (!u.tls) {
    c.plain = std::move(stream);
    co_return beast::error_code{};
  }
  c.tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*stream), tls_ctx);
  beast::error_code ec;
  asio::ip::make_address(u.host, ec);
  if (ec) SSL_set_tlsext_host_name(c.tls->native_handle(), u.host.c_str());  // SNI for names only
  if (verify) c.tls->set_verify_callback(ssl::host_name_verification(u.host));
  auto [hec] = co_await c.tls->async_handshake(ssl::stream_base::client, kAsTuple);
  co_return hec;
}

struct Exchange {
  HttpResponse response;
  bool got_some = false;    // any response byte arrived
  bool keep_alive = false;  // the connection may carry another request
};

template <class Stream>
awaitable<Exchange> exchange(Stream& s, beast::flat_buffer& buffer, http::request<http::string_body>& req,
                             Clock::time_point deadline) {
  Exchange x;
  beast::get_lowest_layer(s).expires_at(deadline);
  auto [wec, wn] = co_await http::async_write(s, req, kAsTuple);
  if (wec) {
    x.response.error = describe(wec);
    co_return x;
  }
  http::response_parser<http::string_body> p;
  p.header_limit(kHeaderLimit);
  p.body_limit(kBodyLimit);
  if (req.method() == http::verb::head) p.skip(true);
  auto [ec, n] = co_await http::async_read(s, buffer, p, kAsTuple);
  x.got_some = p.got_some();
  if (p.is_header_done()) {
    x.response.status = p.get().result_int();
    x.response.headers = lower_case_headers(p.get().base());
  }
  x.response.body = std::move(p.get().body());
  x.response.error = describe(ec);
  x.keep_alive = !ec && p.get().keep_alive();
  co_return x;
}

template <class Stream>
awaitable<SseStreamResult> read_stream(Stream& s, beast::flat_buffer& buffer, http::request<http::string_body>& req,
                                       const SseStreamOptions& o, Clock::time_point t0) {
  SseStreamResult r;
  beast::get_lowest_layer(s).expires_at(t0 + o.timeout);
  auto [wec, wn] = co_await http::async_write(s, req, kAsTuple);
  if (wec) {
    r.error = describe(wec);
    co_return r;
  }
  http::response_parser<http::buffer_body> p;
  p.header_limit(kHeaderLimit);
  p.body_limit(kBodyLimit);
  auto [hec, hn] = co_await http::async_read_header(s, buffer, p, kAsTuple);
  if (hec) {
    r.error = describe(hec);
    co_return r;
  }
  r.status = p.get().result_int();
  r.headers = lower_case_headers(p.get().base());

  SseSplitter sse;
  bool hang_up = false;
  auto on_event = [&](const std::string& name, const std::string& data) {
    r.events.push_back(data);
    r.event_names.push_back(name);
    r.event_ms.push_back(ms_since(t0));
    if (o.max_events != 0 && r.events.size() >= o.max_events) hang_up = true;
    if (o.on_event && !o.on_event(data)) hang_up = true;
    return !hang_up;
  };
  char chunk[16384];
  // async_read_some hands over what one read brought, so events are seen as they arrive.
  while (!p.is_done() && !hang_up) {
    p.get().body().data = chunk;
    p.get().body().size = sizeof chunk;
    auto [ec, n] = co_await http::async_read_some(s, buffer, p, kAsTuple);
    std::size_t got = sizeof chunk - p.get().body().size;
    if (got != 0) {
      r.body.append(chunk, got);
      sse.feed(std::string_view(chunk, got), on_event);
    }
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      r.error = describe(ec);
      break;
    }
  }
  r.ended_cleanly = p.is_done();
  if (r.ended_cleanly) {
    // Beast adds trailer fields to the header's container: what is new at the end is a trailer.
    for (auto& [name, value] : lower_case_headers(p.get().base())) {
      auto head = r.headers.find(name);
      if (head == r.headers.end()) {
        r.trailers[name] = value;
      } else if (value.size() > head->second.size() + 2) {
        r.trailers[name] = value.substr(head->second.size() + 2);  // after "head value, "
      }
    }
  }
  if (hang_up && !r.ended_cleanly) {
    r.hung_up = true;
    beast::error_code ignored;
    beast::get_lowest_layer(s).socket().close(ignored);
  }
  co_return r;
}

}  // namespace

struct HttpClient::State {
  asio::io_context ioc;
  ssl::context tls_ctx{ssl::context::tls_client};
  bool verify = false;
  std::string key;                   // Url::key() of `kept`
  std::unique_ptr<Connection> kept;  // the kept-alive connection of request()

  // Runs one coroutine to completion on ioc (blocking).
  template <class T>
  T run(awaitable<T> co) {
    std::exception_ptr error;
    T result{};
    asio::co_spawn(ioc, std::move(co), [&](std::exception_ptr e, T value) {
      error = e;
      result = std::move(value);
    });
    ioc.restart();
    ioc.run();
    if (error) std::rethrow_exception(error);
    return result;
  }

  awaitable<HttpResponse> request(Url u, http::request<http::string_body> req, Clock::time_point deadline) {
    for (int attempt = 0;; ++attempt) {
      bool reused = kept && key == u.key();
      if (!reused) {
        kept = std::make_unique<Connection>();
        key = u.key();
        if (auto ec = co_await open_connection(tls_ctx, verify, u, deadline, *kept)) {
          kept.reset();
          co_return failed<HttpResponse>(describe(ec));
        }
      }
      // (No co_await inside ?: — g++ 12 destroys such temporaries twice.)
      Exchange x;
      if (kept->tls) {
        x = co_await exchange(*kept->tls, kept->buffer, req, deadline);
      } else {
        x = co_await exchange(*kept->plain, kept->buffer, req, deadline);
      }
      x.response.reused_connection = reused;
      if (!x.keep_alive) kept.reset();
      // A kept-alive connection the server had already closed: try once on a fresh one.
      bool stale = reused && !x.got_some && !x.response.error.empty() && x.response.error != "timeout";
      if (stale && attempt == 0) continue;
      co_return x.response;
    }
  }

  awaitable<SseStreamResult> stream(Url u, http::request<http::string_body> req, SseStreamOptions o) {
    const auto t0 = Clock::now();
    Connection c;
    if (auto ec = co_await open_connection(tls_ctx, verify, u, t0 + o.timeout, c)) {
      co_return failed<SseStreamResult>(describe(ec));
    }
    if (c.tls) co_return co_await read_stream(*c.tls, c.buffer, req, o, t0);
    co_return co_await read_stream(*c.plain, c.buffer, req, o, t0);
  }
};

std::string HttpResponse::header(std::string_view name) const { return find_header(headers, name); }
std::string SseStreamResult::header(std::string_view name) const { return find_header(headers, name); }

HttpClient::HttpClient(std::chrono::milliseconds timeout, std::string ca_file)
    : state_(std::make_unique<State>()), timeout_(timeout) {
  if (!ca_file.empty()) {
    state_->tls_ctx.load_verify_file(ca_file);
    state_->tls_ctx.set_verify_mode(ssl::verify_peer);
    state_->verify = true;
  } else {
    state_->tls_ctx.set_verify_mode(ssl::verify_none);
  }
}

HttpClient::~HttpClient() = default;

void HttpClient::close() { state_->kept.reset(); }

HttpResponse HttpClient::request(std::string_view method, std::string_view url, std::string_view body,
                                 const HttpHeaders& headers, std::chrono::milliseconds timeout) {
  auto u = parse_url(url);
  if (!u) return failed<HttpResponse>("bad url");
  auto deadline = Clock::now() + (timeout.count() > 0 ? timeout : timeout_);
  return state_->run(state_->request(*u, make_request(method, *u, body, headers), deadline));
}

SseStreamResult HttpClient::stream(std::string_view url, std::string_view body, const HttpHeaders& headers,
                                   const SseStreamOptions& options) {
  auto u = parse_url(url);
  if (!u) return failed<SseStreamResult>("bad url");
  HttpHeaders with_accept = headers;
  if (std::none_of(headers.begin(), headers.end(), [](const auto& h) { return iequals(h.first, "accept"); })) {
    with_accept.emplace_back("accept", "text/event-stream");
  }
  return state_->run(state_->stream(*u, make_request(options.method, *u, body, with_accept), options));
}

RawResult HttpClient::raw(std::string_view url, const std::vector<std::string>& pieces, const RawOptions& options) {
  auto u = parse_url(url);
  if (!u) {
    RawResult r;
    r.send_error = "bad url";
    return r;
  }
  return state_->run(raw_exchange(*u, pieces, options));
}

}  // namespace sovgw::testing
