// fake_upstream: a scripted OpenAI-compatible server for sovgw's integration tests, the demo and
// benchmarks. The contract (command line, behaviours, control endpoints) is tests/fakes/README.md.
// One io_context, run by --threads threads; each connection lives on its own strand.
//
//   fake_upstream --listen 127.0.0.1:0 --name a   # prints "READY port=PORT", runs until SIGTERM
#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fake_server.hpp"
#include "session.hpp"

namespace {

namespace net = boost::asio;
using net::awaitable;
using tcp = net::ip::tcp;
using sovgw::fake::FakeServer;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

struct Options {
  tcp::endpoint listen{net::ip::make_address("127.0.0.1"), 0};
  std::string name = "fake";
  std::string tls_cert;
  std::string tls_key;
  int threads = 1;
  std::size_t record_limit = 100000;
};

constexpr std::string_view kUsage =
    "usage: fake_upstream [--listen HOST:PORT] [--name NAME] [--tls-cert FILE --tls-key FILE]\n"
    "                     [--threads N] [--record-limit N]\n";

// "127.0.0.1:0", "[::1]:8080"; the host must be an IP literal.
std::optional<tcp::endpoint> parse_endpoint(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned short port = 0;
  const auto port_text = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size()) return std::nullopt;
  boost::system::error_code aec;
  auto address = net::ip::make_address(std::string(host), aec);
  if (aec) return std::nullopt;
  return tcp::endpoint(address, port);
}

template <class T>
bool parse_number(std::string_view text, T& out, T min) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && out >= min;
}

std::optional<Options> parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "fake_upstream: " << arg << " needs a value\n" << kUsage;
      return std::nullopt;
    }
    const std::string_view value = argv[++i];
    bool ok = true;
    if (arg == "--listen") {
      auto ep = parse_endpoint(value);
      ok = ep.has_value();
      if (ok) o.listen = *ep;
    } else if (arg == "--name") {
      o.name = value;
    } else if (arg == "--tls-cert") {
      o.tls_cert = value;
    } else if (arg == "--tls-key") {
      o.tls_key = value;
    } else if (arg == "--threads") {
      ok = parse_number(value, o.threads, 1);
    } else if (arg == "--record-limit") {
      ok = parse_number(value, o.record_limit, std::size_t{0});
    } else {
      ok = false;
    }
    if (!ok) {
      std::cerr << "fake_upstream: bad argument " << arg << " " << value << "\n" << kUsage;
      return std::nullopt;
    }
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    std::cerr << "fake_upstream: --tls-cert and --tls-key go together\n" << kUsage;
    return std::nullopt;
  }
  return o;
}

std::optional<net::ssl::context> make_tls(const Options& o) {
  if (o.tls_cert.empty()) return std::nullopt;
  net::ssl::context ctx(net::ssl::context::tls_server);
  ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                  net::ssl::context::no_sslv3);
  ctx.use_certificate_chain_file(o.tls_cert);
  ctx.use_private_key_file(o.tls_key, net::ssl::context::pem);
  return ctx;
}

awaitable<void> accept_loop(tcp::acceptor& acceptor, net::ssl::context* tls, FakeServer& server) {
  for (;;) {
    // Each connection gets its own strand, so --threads N never runs one session on two threads.
    auto [ec, socket] =
        co_await acceptor.async_accept(net::make_strand(acceptor.get_executor()), kTuple);
    if (ec == net::error::operation_aborted) co_return;
    if (ec) {
      std::cerr << "fake_upstream: accept: " << ec.message() << "\n";
      continue;
    }
    auto executor = socket.get_executor();
    net::co_spawn(executor, sovgw::fake::serve_connection(std::move(socket), tls, server),
                  [](std::exception_ptr e) {
                    if (!e) return;
                    try {
                      std::rethrow_exception(e);
                    } catch (const std::exception& ex) {
                      std::cerr << "fake_upstream: connection failed: " << ex.what() << "\n";
                    }
                  });
  }
}

int run(const Options& o) {
  FakeServer server{o.name, sovgw::fake::Recorder(o.record_limit), {}};  // outlives the sessions
  std::optional<net::ssl::context> tls;
  try {
    tls = make_tls(o);
  } catch (const std::exception& e) {
    std::cerr << "fake_upstream: TLS setup: " << e.what() << "\n";
    return 2;
  }
  net::io_context io(o.threads);
  tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.open(o.listen.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(o.listen, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "fake_upstream: listen on " << o.listen << ": " << ec.message() << "\n";
    return 1;
  }
  std::cout << "READY port=" << acceptor.local_endpoint().port() << std::endl;

  net::co_spawn(io, accept_loop(acceptor, tls ? &*tls : nullptr, server), net::detached);
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](const boost::system::error_code&, int) { io.stop(); });
  std::vector<std::thread> extra;
  for (int i = 1; i < o.threads; ++i) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto options = parse_args(argc, argv);
  if (!options) return 2;
  return run(*options);
}
