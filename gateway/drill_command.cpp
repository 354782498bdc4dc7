#include "gateway/drill_command.hpp"

#include <cstdio>
#include <optional>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>

#include "gateway/sovereignty_report.hpp"
#include "gateway/worker.hpp"

namespace sovgw {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

namespace {

// GET /admin/drill from the running gateway, within 2 s; nullopt (with the reason) otherwise.
std::optional<std::string> fetch_live(const Config& config, std::string& why) {
  net::io_context io;
  beast::tcp_stream stream(io);
  boost::system::error_code ec;
  const auto address = net::ip::make_address(config.admin.listen.host, ec);
  if (ec) {
    why = "admin.listen is not an IP address";
    return std::nullopt;
  }
  const net::ip::tcp::endpoint endpoint(address, config.admin.listen.port);
  http::request<http::string_body> request{http::verb::get, "/admin/drill", 11};
  request.set(http::field::host, config.admin.listen.text);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  stream.expires_after(std::chrono::seconds(2));
  stream.async_connect(endpoint, [&](boost::system::error_code cec) {
    if (cec) { ec = cec; return; }
    http::async_write(stream, request, [&](boost::system::error_code wec, std::size_t) {
      if (wec) { ec = wec; return; }
      http::async_read(stream, buffer, response, [&](boost::system::error_code rec, std::size_t) { ec = rec; });
    });
  });
  io.run();
  if (ec) {
    why = "no gateway answered on " + config.admin.listen.text + " (" + ec.message() + ")";
    return std::nullopt;
  }
  if (response.result_int() != 200) {
    why = "the gateway on " + config.admin.listen.text + " answered HTTP " + std::to_string(response.result_int());
    return std::nullopt;
  }
  return response.body();
}

// The same report from the config alone: every backend assumed healthy.
std::string static_report(const Config& config) {
  SharedState shared(config);
  for (std::size_t i = 0; i < config.backends.size(); ++i) {
    shared.health.push_back(std::make_unique<backends::BackendHealth>());
  }
  return drill_report(shared, std::chrono::steady_clock::now());
}

void print_human(const json::object& report, const std::string& source) {
  std::printf("drill: if every foreign provider vanished now (%s):\n", source.c_str());
  for (const auto& entry : report.at("models").as_array()) {
    const auto& m = entry.as_object();
    const std::string name(m.at("model").as_string());
    if (m.at("keeps_serving").as_bool()) {
      const auto& by = m.at("served_by").as_object();
      std::printf("  %-28s keeps serving from %s (%s)\n", name.c_str(), std::string(by.at("backend").as_string()).c_str(),
                  std::string(by.at("model").as_string()).c_str());
    } else {
      std::string why;
      for (const auto& t : m.at("targets").as_array()) {
        const auto& target = t.as_object();
        why += (why.empty() ? "" : ", ") + std::string(target.at("backend").as_string()) + " (" +
               (target.at("foreign").as_bool() ? "foreign" : std::string(target.at("state").as_string())) + ")";
      }
      std::printf("  %-28s STOPS: %s\n", name.c_str(), why.c_str());
    }
  }
  std::printf("%lld of %lld models keep serving\n", report.at("models_serving").to_number<long long>(),
              report.at("models_total").to_number<long long>());
}

}  // namespace

int run_drill_command(const Config& config, bool json_output) {
  std::string why;
  auto live = fetch_live(config, why);
  const std::string source = live ? "live state from the gateway on " + config.admin.listen.text
                                  : "from the config only, every backend assumed healthy: " + why;
  const std::string body = live ? *live : static_report(config);
  json::error_code ec;
  auto parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    std::fprintf(stderr, "drill: unreadable answer from the gateway\n");
    return 1;
  }
  auto& report = parsed.as_object();
  if (json_output) {
    report["source"] = source;
    std::printf("%s\n", json::serialize(report).c_str());
  } else {
    print_human(report, source);
  }
  const bool all = report.at("models_serving").to_number<long long>() == report.at("models_total").to_number<long long>();
  return all ? 0 : 3;
}

}  // namespace sovgw
