// ClientConnection: the downstream side of one HTTP/1.1 connection — writes whole responses and
// chunked SSE streams with a write timeout, and watches for the client going away mid-stream.
// Lives on one worker thread, used by the session loop and the pipeline.
#pragma once

#include <chrono>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace sovgw {

using ClientResponse = boost::beast::http::response<boost::beast::http::string_body>;
using StreamHead = boost::beast::http::response<boost::beast::http::empty_body>;

class ClientConnection {
 public:
  ClientConnection(boost::beast::tcp_stream& stream, std::chrono::milliseconds write_timeout)
      : stream_(stream), write_timeout_(write_timeout) {}

  // Each returns false when the client is gone (write failed or timed out); the connection is
  // then unusable.
  boost::asio::awaitable<bool> send(ClientResponse& response);
  boost::asio::awaitable<bool> start_stream(StreamHead& head);  // head is sent with chunked framing
  boost::asio::awaitable<bool> write_chunk(std::string_view data);
  boost::asio::awaitable<bool> finish_stream();

  // Waits until the socket becomes readable while a response is in progress: the peer closed
  // (kClosed: the client is gone), sent more bytes (kData: a pipelined request, not a hang-up),
  // or the wait was cancelled (kCancelled). One at a time.
  enum class PeerEvent { kClosed, kData, kCancelled };
  boost::asio::awaitable<PeerEvent> wait_for_close();
  void stop_watching();

  bool gone() const { return gone_; }
  boost::beast::tcp_stream& stream() { return stream_; }

 private:
  boost::beast::tcp_stream& stream_;
  std::chrono::milliseconds write_timeout_;
  bool gone_ = false;
};

}  // namespace sovgw
