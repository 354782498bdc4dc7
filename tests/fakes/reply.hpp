// Reply: a complete, non-streaming HTTP answer (status, content type, body, extra headers) and
// write_reply(), which sends one on any Beast stream (plain TCP or TLS). Used by the control
// endpoints and by the responder for JSON answers. Runs on the connection's strand.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <string>
#include <utility>
#include <vector>

namespace sovgw::fake {

struct Reply {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>>
      headers;  // set after content-type, may override it
};

template <class Stream>
boost::asio::awaitable<boost::beast::error_code> write_reply(Stream& stream, Reply reply,
                                                             unsigned version, bool keep_alive) {
  namespace http = boost::beast::http;
  http::response<http::string_body> res;
  res.version(version);
  res.result(reply.status);
  if (res.result() == http::status::unknown) res.reason("Unknown");  // else "<unknown-status>"
  res.set(http::field::content_type, reply.content_type);
  for (const auto& [name, value] : reply.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  // 204 and 304 must not carry a body; Beast refuses to frame one.
  if (reply.status != 204 && reply.status != 304) res.body() = std::move(reply.body);
  res.prepare_payload();
  auto [ec, n] =
      co_await http::async_write(stream, res, boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return ec;
}

}  // namespace sovgw::fake
