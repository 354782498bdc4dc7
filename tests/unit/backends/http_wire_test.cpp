// HttpWire tests: the heads sovgw writes itself are byte for byte what Beast's serializer writes
// for the same message, and write_whole delivers a body larger than the socket's send buffer
// intact and in order (the part written at once plus the rest written asynchronously), or
// reports a timeout when the peer stops reading (within the deadline when there is one);
// parse_buffered parses what is buffered, leaves a pipelined message behind, and treats a partial
// message or a full body piece as "read more", not as an error.
#include "backends/http_wire.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/serializer.hpp>

namespace sovgw::backends {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::ip::tcp;
using namespace std::chrono_literals;

template <typename Message>
std::string beast_head(Message& message) {
  http::serializer<Message::is_request::value, typename Message::body_type> sr(message);
  sr.split(true);
  std::string out;
  beast::error_code ec;
  while (!ec && !sr.is_header_done()) {
    sr.next(ec, [&](beast::error_code&, const auto& buffers) {
      for (auto b : beast::buffers_range_ref(buffers)) out.append(static_cast<const char*>(b.data()), b.size());
      sr.consume(beast::buffer_bytes(buffers));
    });
  }
  REQUIRE_FALSE(ec);
  return out;
}

// A connected loopback pair; the writer's send buffer and the reader's receive buffer are kept
// small so a body of a few hundred kilobytes cannot be taken in one write.
struct SocketPair {
  net::io_context io;
  tcp::socket writer{io};
  tcp::socket reader{io};

  SocketPair() {
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    writer.open(tcp::v4());
    writer.set_option(net::socket_base::send_buffer_size(16 * 1024));
    writer.connect(acceptor.local_endpoint());
    acceptor.accept(reader);
    reader.set_option(net::socket_base::receive_buffer_size(16 * 1024));
  }
};

std::string patterned(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

}  // namespace

TEST_CASE("serialize_head: a response head is what Beast's serializer writes") {
  http::response<http::string_body> res{http::status::too_many_requests, 11};
  res.set(http::field::content_type, "application/json");
  res.set("x-request-id", "abc-123");
  res.set("retry-after", "7");
  res.body() = R"({"error":{}})";
  res.prepare_payload();
  CHECK(serialize_head(res.base()) == beast_head(res));

  res.reason("Slow Down");
  res.keep_alive(false);
  CHECK(serialize_head(res.base()) == beast_head(res));
  CHECK(serialize_head(res.base()).starts_with("HTTP/1.1 429 Slow Down\r\n"));

  http::response<http::empty_body> head{http::status::ok, 11};
  head.set(http::field::content_type, "text/event-stream");
  head.chunked(true);
  CHECK(serialize_head(head.base()) == beast_head(head));
}

TEST_CASE("serialize_head: a request head is what Beast's serializer writes") {
  http::request<http::string_body> req{http::verb::post, "/v1/chat/completions?x=1", 11};
  req.set(http::field::host, "127.0.0.1:8000");
  req.set(http::field::authorization, "Bearer sk-test");
  req.set(http::field::content_type, "application/json");
  req.body() = R"({"model":"m"})";
  req.prepare_payload();
  CHECK(serialize_head(req.base()) == beast_head(req));
  CHECK(serialize_head(req.base()).starts_with("POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"));
}

TEST_CASE("serialize_last_chunk: with and without a trailer, as Beast's chunk_last") {
  const auto beast_last = [](const auto& chunk) {
    std::string out;
    for (auto b : beast::buffers_range(chunk)) out.append(static_cast<const char*>(b.data()), b.size());
    return out;
  };
  CHECK(serialize_last_chunk(nullptr) == "0\r\n\r\n");
  CHECK(serialize_last_chunk(nullptr) == beast_last(http::make_chunk_last()));
  http::fields trailer;
  trailer.set("x-sovgw-final-backend", "local");
  CHECK(serialize_last_chunk(&trailer) == "0\r\nx-sovgw-final-backend: local\r\n\r\n");
  CHECK(serialize_last_chunk(&trailer) == beast_last(http::make_chunk_last(trailer)));
}

TEST_CASE("write_whole: a body larger than the send buffer arrives whole and in order") {
  SocketPair pair;
  beast::tcp_stream stream(std::move(pair.writer));
  const std::string head = "HEAD-LINE\r\n";
  const std::string body = patterned(768 * 1024);
  const std::array buffers{net::buffer(head), net::buffer(body)};

  std::optional<beast::error_code> write_result;
  net::co_spawn(
      pair.io, [&]() -> net::awaitable<void> { write_result = co_await write_whole(stream, buffers, 5s); },
      net::detached);
  std::string received(head.size() + body.size(), '\0');
  std::optional<beast::error_code> read_result;
  net::async_read(pair.reader, net::buffer(received),
                  [&](beast::error_code ec, std::size_t) { read_result = ec; });
  pair.io.run_for(10s);

  REQUIRE(write_result.has_value());
  CHECK_FALSE(*write_result);
  REQUIRE(read_result.has_value());
  CHECK_FALSE(*read_result);
  CHECK(received == head + body);
}

TEST_CASE("write_whole: a peer that stops reading ends the write with a timeout") {
  SocketPair pair;
  beast::tcp_stream stream(std::move(pair.writer));
  const std::string body = patterned(8 * 1024 * 1024);
  const std::array buffers{net::buffer(body.data(), 16), net::buffer(body)};

  std::optional<beast::error_code> write_result;
  net::co_spawn(
      pair.io, [&]() -> net::awaitable<void> { write_result = co_await write_whole(stream, buffers, 200ms); },
      net::detached);
  pair.io.run_for(10s);

  REQUIRE(write_result.has_value());
  CHECK(*write_result == beast::error::timeout);
}

TEST_CASE("write_whole: the remainder never waits past the deadline, even under a longer timeout") {
  SocketPair pair;
  beast::tcp_stream stream(std::move(pair.writer));
  const std::string body = patterned(8 * 1024 * 1024);
  const std::array buffers{net::buffer(body)};
  const auto start = std::chrono::steady_clock::now();

  std::optional<beast::error_code> write_result;
  net::co_spawn(
      pair.io,
      [&]() -> net::awaitable<void> { write_result = co_await write_whole(stream, buffers, 60s, start + 200ms); },
      net::detached);
  pair.io.run_for(10s);

  REQUIRE(write_result.has_value());
  CHECK(*write_result == beast::error::timeout);
  CHECK(std::chrono::steady_clock::now() - start < 10s);  // ended by the deadline, not by run_for
}

TEST_CASE("parse_buffered: a whole request is parsed from the buffer; a pipelined one stays behind") {
  const std::string first = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  const std::string second = "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n";
  beast::flat_buffer buffer;
  net::buffer_copy(buffer.prepare(first.size() + second.size()), net::buffer(first + second));
  buffer.commit(first.size() + second.size());

  http::request_parser<http::string_body> parser;
  parser.eager(true);
  CHECK_FALSE(parse_buffered(parser, buffer));
  REQUIRE(parser.is_done());
  CHECK(parser.get().body() == "hello");
  CHECK(beast::buffers_to_string(buffer.data()) == second);
}

TEST_CASE("parse_buffered: a partial header or body is not an error, and parsing resumes with more bytes") {
  const std::string message = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  beast::flat_buffer buffer;
  // header cut in the middle: nothing consumed, no error
  net::buffer_copy(buffer.prepare(10), net::buffer(message.data(), 10));
  buffer.commit(10);
  CHECK_FALSE(parse_buffered(parser, buffer));
  CHECK_FALSE(parser.is_header_done());
  CHECK(buffer.size() == 10);
  // the rest of the header and half the body
  const std::size_t upto = message.size() - 5;
  net::buffer_copy(buffer.prepare(upto - 10), net::buffer(message.data() + 10, upto - 10));
  buffer.commit(upto - 10);
  CHECK_FALSE(parse_buffered(parser, buffer));
  CHECK(parser.is_header_done());
  CHECK_FALSE(parser.is_done());
  // the last bytes
  net::buffer_copy(buffer.prepare(5), net::buffer(message.data() + upto, 5));
  buffer.commit(5);
  CHECK_FALSE(parse_buffered(parser, buffer));
  REQUIRE(parser.is_done());
  CHECK(parser.get().body() == "0123456789");
}

TEST_CASE("parse_buffered: a response body stops at a full piece and continues into the next") {
  const std::string message = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nabcdefghijkl";
  beast::flat_buffer buffer;
  net::buffer_copy(buffer.prepare(message.size()), net::buffer(message));
  buffer.commit(message.size());
  http::response_parser<http::buffer_body> parser;
  std::string received;
  char piece[5];
  for (int round = 0; round < 10 && !parser.is_done(); ++round) {
    parser.get().body().data = piece;
    parser.get().body().size = sizeof piece;
    CHECK_FALSE(parse_buffered(parser, buffer));
    received.append(piece, sizeof piece - parser.get().body().size);
  }
  CHECK(parser.is_done());
  CHECK(received == "abcdefghijkl");
  CHECK(buffer.size() == 0);
}

}  // namespace sovgw::backends
