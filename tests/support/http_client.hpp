// HttpClient: a small blocking HTTP/1.1 client for integration tests, built on Beast (kept out of
// this header). Three modes: request() reads a whole response; stream() reads an SSE response
// incrementally and can hang up after N events (a client disconnect); raw() sends arbitrary bytes
// (oversized headers, malformed requests, slowloris) and collects whatever comes back.
// request() keeps one connection alive between calls like a real SDK client (reconnecting once if
// the server closed it); stream() and raw() always use a fresh connection. `https://` URLs work,
// verified against `ca_file` when one is given and unverified otherwise (for test control calls).
// Not thread-safe: one client per test thread.
//
//   HttpClient http;
//   HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), R"({"model":"m",...})");
//   CHECK(r.status == 200); CHECK(r.header("x-sovgw-backend") == "a");
//   SseStreamResult s = http.stream(url, body, {}, {.max_events = 2});  // then closes
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sovgw::testing {

// Request headers, in order; a name given here replaces the client's default for it (host,
// content-type, user-agent).
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// `error` values are short and stable so tests can compare them: "" (a whole response arrived),
// "timeout", "reset" (RST), "refused", "eof" (closed before a response header), "partial" (closed
// mid-body), "bad url", or another error's message.
struct HttpResponse {
  int status = 0;  // 0 when no response header arrived
  std::map<std::string, std::string> headers{};  // lower-case names; repeated fields joined by ", "
  std::string body{};
  std::string error{};
  bool reused_connection = false;  // sent on a kept-alive connection

  // The header's value, "" when absent.
  std::string header(std::string_view lower_case_name) const;
};

struct SseStreamOptions {
  std::size_t max_events = 0;  // hang up after this many data events; 0 = read to the end
  std::chrono::milliseconds timeout{5000};  // the whole exchange
  // Called for each data event as it arrives; return false to hang up at once.
  std::function<bool(const std::string& data)> on_event{};
  std::string method = "POST";
};

struct SseStreamResult {
  int status = 0;
  std::map<std::string, std::string> headers{};
  std::map<std::string, std::string> trailers{};  // fields after a chunked body (lower-case names)
  std::vector<std::string> events{};      // `data` of each event with data, in arrival order
  std::vector<std::string> event_names{}; // its `event:` field ("" when absent), same indices
  std::vector<double> event_ms{};         // ms after the request was sent that each event arrived
  std::string body{};                     // every body byte received (after de-chunking)
  bool ended_cleanly = false;  // the body ended as HTTP framing says (last chunk / full length)
  bool hung_up = false;        // we closed the connection (max_events reached or on_event false)
  std::string error{};           // as HttpResponse::error; "" when ended cleanly or we hung up

  std::string header(std::string_view lower_case_name) const;
};

struct RawOptions {
  std::chrono::milliseconds timeout{5000};  // give up reading after this
  std::chrono::milliseconds interval{0};    // pause between the pieces passed to raw()
  bool shutdown_send = false;               // half-close after the last piece
};

struct RawResult {
  std::string received{};     // every byte the server sent
  bool peer_closed = false; // the server closed the connection (FIN)
  bool reset = false;       // ... with a reset
  bool timed_out = false;   // still open when the timeout ran out
  std::string send_error{};   // "" if every piece was sent
  double closed_after_ms = 0;  // when the connection ended (peer close, reset or timeout)

  // The status code of the first response in `received`, 0 if there is none.
  int status() const;
};

class HttpClient {
 public:
  explicit HttpClient(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000), std::string ca_file = "");
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `url` is absolute: http://127.0.0.1:PORT/path?query. A non-empty body without a content-type
  // header is sent as application/json. timeout 0 = the client's default.
  HttpResponse request(std::string_view method, std::string_view url, std::string_view body = {},
                       const HttpHeaders& headers = {}, std::chrono::milliseconds timeout = {});
  HttpResponse get(std::string_view url, const HttpHeaders& headers = {}) { return request("GET", url, {}, headers); }
  HttpResponse post_json(std::string_view url, std::string_view body, const HttpHeaders& headers = {}) {
    return request("POST", url, body, headers);
  }

  SseStreamResult stream(std::string_view url, std::string_view body, const HttpHeaders& headers = {},
                         const SseStreamOptions& options = {});

  // Connects to the URL's host and port (its path is ignored), sends `pieces` one after another,
  // and reads until the server closes or the timeout runs out.
  RawResult raw(std::string_view url, const std::vector<std::string>& pieces, const RawOptions& options = {});
  RawResult raw(std::string_view url, std::string bytes, const RawOptions& options = {}) {
    return raw(url, std::vector<std::string>{std::move(bytes)}, options);
  }

  // Drops the kept-alive connection (the next request opens a new one).
  void close();

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::chrono::milliseconds timeout_;
};

}  // namespace sovgw::testing
