// HttpWire: the bits of HTTP/1.1 output sovgw writes itself on its hot paths instead of through
// Beast's serializer: a message head as one contiguous string, and a gather write (head + body)
// that goes straight out when the socket takes it, which on a healthy connection is always; only
// the rest, if any, waits asynchronously. That saves an async operation, its completion post and
// a reactor poll per message. Used by the client side (whole responses) and the upstream side
// (requests on plain TCP connections). Functions only; call them on the socket's own thread.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

namespace sovgw::backends {

using HeadAndBody = std::array<boost::asio::const_buffer, 2>;

// "HTTP/1.1 200 OK\r\n" (or "POST /path HTTP/1.1\r\n"), every field, and the blank line: exactly
// what Beast's serializer would write for the same header.
std::string serialize_head(const boost::beast::http::response_header<>& head);
std::string serialize_head(const boost::beast::http::request_header<>& head);

// The last chunk of a chunked body: "0\r\n", the trailer fields when given, and the blank line.
std::string serialize_last_chunk(const boost::beast::http::fields* trailer);

// Writes `buffers` whole, in order: first what the socket accepts without waiting (switching the
// socket to non-blocking mode the first time), then the rest asynchronously within `timeout`, and
// never past `deadline` (a request's overall deadline, when it has one). Returns the error of
// whichever step failed (beast::error::timeout when the peer stopped reading). The buffers must
// stay valid until it completes.
boost::asio::awaitable<boost::system::error_code> write_whole(
    boost::beast::tcp_stream& stream, std::span<const boost::asio::const_buffer> buffers,
    std::chrono::milliseconds timeout,
    std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

// Feeds what `buffer` already holds to `parser` (with a buffer_body, into its current piece) and
// consumes what was parsed, with no read: a message that arrived whole needs no async operation.
// Needing more bytes, or a full piece, is not an error; an async read takes over from there.
template <typename Parser>
boost::system::error_code parse_buffered(Parser& parser, boost::beast::flat_buffer& buffer) {
  namespace http = boost::beast::http;
  while (buffer.size() != 0 && !parser.is_done()) {
    boost::system::error_code ec;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more || ec == http::error::need_buffer) break;
    if (ec) return ec;
    if (used == 0) break;
  }
  return {};
}

}  // namespace sovgw::backends
