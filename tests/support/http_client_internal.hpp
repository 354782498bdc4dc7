// Internals shared by http_client.cpp and http_client_raw.cpp (the whole-response/stream modes
// and the raw mode of HttpClient). Not for tests: include http_client.hpp instead.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/http_client.hpp"

namespace sovgw::testing::http_internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using asio::awaitable;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

// An absolute http(s) URL split for connecting and for the request line.
struct Url {
  bool tls = false;
  std::string host;         // without brackets
  std::string port;
  std::string target;       // path and query, "/" at least
  std::string host_header;  // authority as written
  std::string key() const { return (tls ? "https://" : "http://") + host_header; }
};

std::optional<Url> parse_url(std::string_view url);

// The short, stable error words documented in http_client.hpp.
std::string describe(const beast::error_code& ec);

double ms_since(Clock::time_point t0);

// raw(): connects, sends the pieces while reading concurrently, until close or timeout.
awaitable<RawResult> raw_exchange(Url u, const std::vector<std::string>& pieces, RawOptions o);

}  // namespace sovgw::testing::http_internal
