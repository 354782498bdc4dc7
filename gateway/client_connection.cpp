#include "gateway/client_connection.hpp"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

namespace sovgw {

namespace net = boost::asio;
namespace http = boost::beast::http;
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);

net::awaitable<bool> ClientConnection::send(ClientResponse& response) {
  if (gone_) co_return false;
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await http::async_write(stream_, response, kAsTuple);
  (void)n;
  if (ec) gone_ = true;
  co_return !ec;
}

net::awaitable<bool> ClientConnection::start_stream(StreamHead& head) {
  if (gone_) co_return false;
  head.chunked(true);
  http::response_serializer<http::empty_body> serializer(head);
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await http::async_write_header(stream_, serializer, kAsTuple);
  (void)n;
  if (ec) gone_ = true;
  co_return !ec;
}

net::awaitable<bool> ClientConnection::write_chunk(std::string_view data) {
  if (gone_) co_return false;
  if (data.empty()) co_return true;  // an empty chunk would end the body
  stream_.expires_after(write_timeout_);
  auto [ec, n] = co_await net::async_write(stream_, http::make_chunk(net::const_buffer(data.data(), data.size())),
                                           kAsTuple);
  (void)n;
  if (ec) gone_ = true;
  co_return !ec;
}

net::awaitable<bool> ClientConnection::finish_stream(const http::fields* trailer) {
  if (gone_) co_return false;
  stream_.expires_after(write_timeout_);
  boost::system::error_code ec;
  if (trailer) {
    auto [trailer_ec, n] = co_await net::async_write(stream_, http::make_chunk_last(*trailer), kAsTuple);
    (void)n;
    ec = trailer_ec;
  } else {
    auto [last_ec, n] = co_await net::async_write(stream_, http::make_chunk_last(), kAsTuple);
    (void)n;
    ec = last_ec;
  }
  if (ec) gone_ = true;
  co_return !ec;
}

net::awaitable<ClientConnection::PeerEvent> ClientConnection::wait_for_close() {
  auto& socket = stream_.socket();
  auto [ec] = co_await socket.async_wait(net::socket_base::wait_read, kAsTuple);
  if (ec == net::error::operation_aborted) co_return PeerEvent::kCancelled;
  if (ec) {
    gone_ = true;
    co_return PeerEvent::kClosed;
  }
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
    gone_ = true;
    co_return PeerEvent::kClosed;
  }
  co_return PeerEvent::kData;  // a pipelined request, read after this response
}

struct ClientConnection::HangupWatch::State {
  ClientConnection* client;          // null once the watch ended
  backends::UpstreamCancel* cancel;  // same
  bool pending = true;
  char byte = 0;
};

ClientConnection::HangupWatch::HangupWatch(ClientConnection& client, backends::UpstreamCancel& cancel)
    : client_(client), state_(std::make_shared<State>(State{&client, &cancel})) {
  auto& socket = client.stream_.socket();
  socket.async_receive(net::buffer(&state_->byte, 1), net::socket_base::message_peek,
                       [state = state_](const boost::system::error_code& ec, std::size_t n) {
                         state->pending = false;
                         if (!state->client || ec == net::error::operation_aborted) return;
                         if (ec || n == 0) {  // the peer closed (or reset): the client is gone
                           state->client->gone_ = true;
                           state->cancel->cancel();
                         }
                         // n == 1: a pipelined request's first byte, still in the socket
                       });
}

ClientConnection::HangupWatch::~HangupWatch() {
  state_->client = nullptr;
  state_->cancel = nullptr;
  if (state_->pending) {
    boost::system::error_code ec;
    client_.stream_.socket().cancel(ec);
  }
}

void ClientConnection::stop_watching() {
  boost::system::error_code ec;
  stream_.socket().cancel(ec);
}

}  // namespace sovgw
