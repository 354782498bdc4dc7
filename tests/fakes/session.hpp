// serve_connection(): one accepted connection of fake_upstream, plain or TLS — reads HTTP/1.1
// requests in a keep-alive loop, answers /_fake/* control calls, records each /v1/* request and
// hands it to the responder with the behaviour chosen for it. Spawned on the connection's strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "fake_server.hpp"

namespace sovgw::fake {

// tls null: plain HTTP. Counts the connection open/closed in server.recorder.
boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket,
                                              boost::asio::ssl::context* tls, FakeServer& server);

}  // namespace sovgw::fake
