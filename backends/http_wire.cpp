#include "backends/http_wire.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>

namespace sovgw::backends {

namespace net = boost::asio;
namespace http = boost::beast::http;

namespace {

void append_version(std::string& out, unsigned version) {
  out += "HTTP/";
  out += static_cast<char>('0' + version / 10);
  out += '.';
  out += static_cast<char>('0' + version % 10);
}

void append_fields(std::string& out, const http::fields& fields) {
  for (const auto& field : fields) {
    out += field.name_string();
    out += ": ";
    out += field.value();
    out += "\r\n";
  }
  out += "\r\n";
}

std::size_t fields_size(const http::fields& fields) {
  std::size_t n = 2;
  for (const auto& field : fields) n += field.name_string().size() + field.value().size() + 4;
  return n;
}

}  // namespace

std::string serialize_head(const http::response_header<>& head) {
  const auto reason = head.reason().empty() ? http::obsolete_reason(head.result()) : head.reason();
  std::string out;
  out.reserve(16 + reason.size() + fields_size(head));
  append_version(out, head.version());
  out += ' ';
  out += std::to_string(head.result_int());
  out += ' ';
  out += reason;
  out += "\r\n";
  append_fields(out, head);
  return out;
}

std::string serialize_head(const http::request_header<>& head) {
  std::string out;
  out.reserve(16 + head.method_string().size() + head.target().size() + fields_size(head));
  out += head.method_string();
  out += ' ';
  out += head.target();
  out += ' ';
  append_version(out, head.version());
  out += "\r\n";
  append_fields(out, head);
  return out;
}

std::string serialize_last_chunk(const http::fields* trailer) {
  std::string out = "0\r\n";
  if (trailer) {
    append_fields(out, *trailer);
  } else {
    out += "\r\n";
  }
  return out;
}

net::awaitable<boost::system::error_code> write_whole(boost::beast::tcp_stream& stream,
                                                      std::span<const net::const_buffer> buffers,
                                                      std::chrono::milliseconds timeout,
                                                      std::chrono::steady_clock::time_point deadline) {
  auto& socket = stream.socket();
  boost::system::error_code ec;
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  std::size_t written = 0;
  if (!ec) written = socket.write_some(buffers, ec);
  if (ec == net::error::would_block || ec == net::error::try_again) ec = {};
  if (ec) co_return ec;
  if (written == net::buffer_size(buffers)) co_return ec;
  // The socket's send buffer is full (a slow reader, or a large body): the rest waits for room.
  boost::beast::buffers_suffix<std::span<const net::const_buffer>> rest(buffers);
  rest.consume(written);
  stream.expires_at(std::min(std::chrono::steady_clock::now() + timeout, deadline));
  auto [wec, n] = co_await net::async_write(stream, rest, net::as_tuple(net::use_awaitable));
  (void)n;
  co_return wec;
}

}  // namespace sovgw::backends
