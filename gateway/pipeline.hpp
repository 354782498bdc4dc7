// Pipeline: what happens to one client request, top to bottom, in the order of handle():
//   route        → which API (chat, completions, embeddings, models) or 404/405
//   parse        → the JSON body must be an object with a string "model" (400 otherwise)
//   select model → the [[models]] entry, or 404 model_not_found
//   call targets → in order; a connect/TLS failure moves on to the next target
//   respond      → the upstream answer, buffered (JSON) or relayed event by event (SSE)
// Every response carries x-request-id, and x-sovgw-backend when a backend answered.
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
#include "gateway/worker.hpp"

namespace sovgw {

using ClientRequest = boost::beast::http::request<boost::beast::http::string_body>;

class Pipeline {
 public:
  Pipeline(Worker& worker, ClientConnection& client) : worker_(worker), client_(client) {}

  // Answers one request. Returns true when the connection may carry another request.
  boost::asio::awaitable<bool> handle(ClientRequest& request);

 private:
  struct Context {
    std::string request_id;
    bool keep_alive = true;
    std::chrono::steady_clock::time_point deadline;
  };
  struct Call;  // one proxied request: parsed body, chosen model, attempts (pipeline.cpp)

  boost::asio::awaitable<bool> proxy(ClientRequest& request, Context& ctx, std::string_view api_path, bool can_stream);
  boost::asio::awaitable<bool> send_buffered(Context& ctx, std::unique_ptr<backends::UpstreamExchange> exchange,
                                             const std::string& backend);
  boost::asio::awaitable<bool> relay_stream(Context& ctx, std::unique_ptr<backends::UpstreamExchange> exchange,
                                            const std::string& backend);
  boost::asio::awaitable<bool> send_json(Context& ctx, unsigned status, std::string body);
  boost::asio::awaitable<bool> send_error(Context& ctx, ErrorCode code, std::string_view message,
                                          std::optional<std::string_view> param = {},
                                          const std::string* backend = nullptr);
  boost::asio::awaitable<bool> get_model(Context& ctx, std::string_view id);

  Worker& worker_;
  ClientConnection& client_;
};

}  // namespace sovgw
