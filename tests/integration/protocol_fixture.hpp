// Shared by the protocol integration tests (protocol_test.cpp, protocol_stream_test.cpp): request
// bodies in Anthropic's Messages shape, readers for the Anthropic answers, errors and event
// streams a client sees, and what a fake received on each protocol's path.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/integration/gateway_fixture.hpp"

namespace sovgw::testing::protocol {

// An Anthropic Messages request body for `model` with one user message.
inline std::string messages_body(std::string_view model, std::string_view content = "hi there", bool stream = false,
                                 std::string_view extra_json = "") {
  gwjson::object o{{"model", model},
                   {"max_tokens", 256},
                   {"messages", gwjson::array{gwjson::object{{"role", "user"}, {"content", content}}}}};
  if (stream) o["stream"] = true;
  std::string body = gwjson::serialize(o);
  if (!extra_json.empty()) body = body.substr(0, body.size() - 1) + "," + std::string(extra_json) + "}";
  return body;
}

// The headers an Anthropic SDK sends.
inline HttpHeaders anthropic_headers(std::string key = "sk-ant-client") {
  return {{"x-api-key", std::move(key)}, {"anthropic-version", "2023-06-01"}};
}

// Checks Anthropic's error shape {"type":"error","error":{"type","message"}} with `type`.
inline void check_anthropic_error(std::string_view body, std::string_view type) {
  INFO("body: " << body);
  gwjson::value v = parse_json(body);
  REQUIRE(v.is_object());
  CHECK(v.as_object().at("type") == "error");
  const auto* error = v.as_object().if_contains("error");
  REQUIRE((error && error->is_object()));
  CHECK(error->as_object().at("type") == gwjson::value(type));
  const auto* message = error->as_object().if_contains("message");
  CHECK((message && message->is_string() && !message->as_string().empty()));
}

// The text of an Anthropic Message's text blocks, concatenated.
inline std::string message_text(const gwjson::object& message) {
  std::string text;
  for (const auto& block : message.at("content").as_array()) {
    if (block.as_object().at("type") == "text") text += block.as_object().at("text").as_string();
  }
  return text;
}

// The text an Anthropic event stream carries (text_delta events), concatenated.
inline std::string anthropic_stream_text(const SseStreamResult& s) {
  std::string text;
  for (const auto& data : s.events) {
    gwjson::error_code ec;
    gwjson::value v = gwjson::parse(data, ec);
    if (ec || !v.is_object() || v.as_object().at("type") != "content_block_delta") continue;
    const auto& delta = v.as_object().at("delta").as_object();
    if (delta.at("type") == "text_delta") text += delta.at("text").as_string();
  }
  return text;
}

// The event names of an Anthropic stream, pings left out.
inline std::vector<std::string> anthropic_events(const SseStreamResult& s) {
  std::vector<std::string> names;
  for (const auto& name : s.event_names) {
    if (name != "ping") names.push_back(name);
  }
  return names;
}

// What the fake received on `path` ("/v1/messages" or "/v1/chat/completions"; probes are elsewhere).
inline std::vector<FakeRequest> requests_to(FakeUpstream& fake, std::string_view path) {
  std::vector<FakeRequest> out;
  for (auto& r : fake.requests()) {
    if (r.target == path) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace sovgw::testing::protocol
