// The per-connection loop of the client listener: read one request at a time under the configured
// limits (idle, header and body timeouts; header and body sizes), answer limit violations itself
// with an OpenAI-style error, and hand every complete request to the Pipeline. HTTP/1.1 keep-alive.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "gateway/worker.hpp"

namespace sovgw {

boost::asio::awaitable<void> run_client_session(Worker& worker, boost::asio::ip::tcp::socket socket);

// Answers 503 too_many_connections and closes (the listener is over gateway.max_connections).
boost::asio::awaitable<void> refuse_client_session(Worker& worker, boost::asio::ip::tcp::socket socket);

}  // namespace sovgw
