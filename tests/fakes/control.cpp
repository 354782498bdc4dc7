// /_fake/requests, /_fake/script and /_fake/stats.
#include "control.hpp"

#include <boost/json.hpp>
#include <deque>

#include "openai_answers.hpp"

namespace sovgw::fake {
namespace {

namespace json = boost::json;

constexpr std::string_view kOk = R"({"ok":true})";

Reply bad_request(const std::string& message) {
  return {400, "application/json", error_json(message, "invalid_request_error", ""), {}};
}

// {"queue":[BEHAVIOUR,...],"default":BEHAVIOUR}; both keys optional, nothing else allowed.
Reply set_script(Script& script, std::string_view body) {
  boost::system::error_code ec;
  const auto value = json::parse(body, ec);
  if (ec || !value.is_object()) return bad_request("script: expected a JSON object");
  std::deque<Behaviour> queue;
  std::optional<Behaviour> fallback;
  for (const auto& [key, v] : value.get_object()) {
    if (key == "queue") {
      if (!v.is_array()) return bad_request("script.queue: expected an array");
      for (std::size_t i = 0; i < v.get_array().size(); ++i) {
        auto parsed = parse_json_behaviour(v.get_array()[i]);
        if (!parsed.error.empty()) {
          return bad_request("script.queue[" + std::to_string(i) + "]: " + parsed.error);
        }
        queue.push_back(std::move(*parsed.behaviour));
      }
    } else if (key == "default") {
      auto parsed = parse_json_behaviour(v);
      if (!parsed.error.empty()) return bad_request("script.default: " + parsed.error);
      fallback = std::move(parsed.behaviour);
    } else {
      return bad_request("script: unknown key '" + std::string(key) +
                         "' (expected queue, default)");
    }
  }
  script.set(std::move(queue), std::move(fallback));
  return {200, "application/json", std::string(kOk), {}};
}

}  // namespace

Reply handle_control(FakeServer& server, std::string_view method, std::string_view path,
                     std::string_view body) {
  Reply reply{200, "application/json", std::string(kOk), {}};
  if (path == "/_fake/requests" && method == "GET") {
    reply.body = server.recorder.requests_json();
  } else if (path == "/_fake/requests" && method == "DELETE") {
    server.recorder.clear();
  } else if (path == "/_fake/script" && method == "POST") {
    reply = set_script(server.script, body);
  } else if (path == "/_fake/script" && method == "DELETE") {
    server.script.clear();
  } else if (path == "/_fake/stats" && method == "GET") {
    reply.body = server.recorder.stats_json();
  } else {
    reply = {404,
             "application/json",
             error_json("Invalid URL (" + std::string(method) + " " + std::string(path) + ")",
                        "invalid_request_error", ""),
             {}};
  }
  reply.headers.emplace_back("x-fake-name", server.name);
  return reply;
}

}  // namespace sovgw::fake
