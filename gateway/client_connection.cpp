#include "gateway/client_connection.hpp"

#include <sys/socket.h>

#include <array>
#include <cstdio>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "backends/http_wire.hpp"

namespace sovgw {

namespace net = boost::asio;
namespace http = boost::beast::http;
constexpr auto kAsTuple = net::as_tuple(net::use_awaitable);

net::awaitable<bool> ClientConnection::send(ClientResponse& response) {
  if (gone_) co_return false;
  const std::string head = backends::serialize_head(response.base());
  co_return co_await write(std::array{net::buffer(head), net::const_buffer(net::buffer(response.body()))});
}

net::awaitable<bool> ClientConnection::start_stream(StreamHead& head) {
  if (gone_) co_return false;
  head.chunked(true);
  const std::string wire = backends::serialize_head(head.base());
  co_return co_await write(std::array{net::buffer(wire)});
}

net::awaitable<bool> ClientConnection::write_chunk(std::string_view data) {
  if (gone_) co_return false;
  if (data.empty()) co_return true;  // an empty chunk would end the body
  char size_line[24];
  const int len = std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
  co_return co_await write(std::array{net::const_buffer(size_line, static_cast<std::size_t>(len)),
                                      net::const_buffer(data.data(), data.size()), net::buffer("\r\n", 2)});
}

net::awaitable<bool> ClientConnection::finish_stream(const http::fields* trailer) {
  if (gone_) co_return false;
  const std::string wire = backends::serialize_last_chunk(trailer);
  co_return co_await write(std::array{net::buffer(wire)});
}

template <std::size_t N>
net::awaitable<bool> ClientConnection::write(const std::array<net::const_buffer, N>& buffers) {
  const auto ec = co_await backends::write_whole(stream_, buffers, write_timeout_);
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
