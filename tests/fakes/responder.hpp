// respond(): carries out one Behaviour for one recorded /v1 request on an open connection — JSON
// answers, SSE streams written one event per chunk, scripted failures (reset, hang, close or stall
// mid-stream, malformed events). While it waits or streams it also reads from the peer, so a peer
// that goes away is noticed and recorded as `client_closed`. Runs on the connection's strand.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <string>

#include "behaviour.hpp"
#include "fake_server.hpp"
#include "openai_request.hpp"

namespace sovgw::fake {

// One /v1 request, already recorded under `seq`, with the behaviour chosen for it.
struct Exchange {
  FakeServer& server;
  std::uint64_t seq = 0;
  Behaviour behaviour;
  RequestInfo info;
  std::string route;      // "METHOD /path", for the 404 message
  unsigned version = 11;  // HTTP version of the request, echoed
  bool keep_alive = true;
};

// Returns whether the connection may serve another request. `buffer` is the session's read
// buffer: bytes the peer sends meanwhile are kept there for the next request.
template <class Stream>
boost::asio::awaitable<bool> respond(Stream& stream, boost::beast::flat_buffer& buffer,
                                     const Exchange& ex);

extern template boost::asio::awaitable<bool> respond(boost::asio::ip::tcp::socket&,
                                                     boost::beast::flat_buffer&, const Exchange&);
extern template boost::asio::awaitable<bool> respond(
    boost::asio::ssl::stream<boost::asio::ip::tcp::socket>&, boost::beast::flat_buffer&,
    const Exchange&);

}  // namespace sovgw::fake
