// ClientConnection: the downstream side of one HTTP/1.1 connection — writes whole responses and
// chunked SSE streams with a write timeout, and watches for the client going away mid-stream.
// Lives on one worker thread, used by the session loop and the pipeline.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "backends/upstream_exchange.hpp"

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
  // The last chunk, with `trailer` fields when given (values known only at the end).
  boost::asio::awaitable<bool> finish_stream(const boost::beast::http::fields* trailer = nullptr);

  // Waits until the socket becomes readable while a response is in progress: the peer closed
  // (kClosed: the client is gone), sent more bytes (kData: a pipelined request, not a hang-up),
  // or the wait was cancelled (kCancelled). One at a time.
  enum class PeerEvent { kClosed, kData, kCancelled };
  boost::asio::awaitable<PeerEvent> wait_for_close();
  void stop_watching();

  bool gone() const { return gone_; }
  boost::beast::tcp_stream& stream() { return stream_; }

  // While an upstream answer is awaited: cancels `cancel` if the client hangs up before the watch
  // ends. A plain completion handler on a non-blocking peek (no coroutine, no epoll re-arm): the
  // cheap form of wait_for_close for the request path. Bytes of a pipelined request are left in
  // the socket and end the watch. Ends (and forgets `cancel`) when destroyed. One at a time.
  class HangupWatch {
   public:
    HangupWatch(ClientConnection& client, backends::UpstreamCancel& cancel);
    ~HangupWatch();
    HangupWatch(const HangupWatch&) = delete;
    HangupWatch& operator=(const HangupWatch&) = delete;

    struct State;  // shared with the pending handler, which may run after the watch ended

   private:
    ClientConnection& client_;
    std::shared_ptr<State> state_;
  };

 private:
  // Writes the buffers whole (see backends::write_whole); false once the client is gone.
  template <std::size_t N>
  boost::asio::awaitable<bool> write(const std::array<boost::asio::const_buffer, N>& buffers);

  boost::beast::tcp_stream& stream_;
  std::chrono::milliseconds write_timeout_;
  bool gone_ = false;
};

}  // namespace sovgw
