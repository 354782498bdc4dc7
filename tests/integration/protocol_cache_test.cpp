// The response cache for Anthropic clients, through the real sovgw: a deterministic /v1/messages
// request is stored in OpenAI's form once answered (from an OpenAI-protocol backend, or an
// Anthropic one), then replayed to Anthropic clients as a Message or as the Messages event stream,
// with no upstream call; OpenAI and Anthropic requests never share an entry.
#include <doctest/doctest.h>

#include <thread>

#include "tests/integration/protocol_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;
using namespace protocol;

std::int64_t stores(HttpClient& http, const GatewayProcess& gw) {
  const auto v = parse_json(http.get(gw.admin_url("/admin/cache")).body);
  return v.is_object() && v.as_object().contains("stores") ? v.as_object().at("stores").to_number<std::int64_t>() : -1;
}

// Stores are not awaited by the request: poll until `n` have been written.
bool wait_for_stores(HttpClient& http, const GatewayProcess& gw, std::int64_t n) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (stores(http, gw) < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

const std::string kDeterministic = R"("temperature":0)";

}  // namespace

TEST_CASE("protocol cache: an Anthropic client's answer is replayed as a Message and as events") {
  for (const bool anthropic_backend : {false, true}) {
    CAPTURE(anthropic_backend);
    TempDir dir;
    FakeUpstream fake(dir, "up");
    ConfigText cfg;
    if (anthropic_backend) {
      cfg.anthropic_backend("up", fake.url(""), "health_check = false");
    } else {
      cfg.backend("up", fake.base_url(), "health_check = false");
    }
    cfg.model("chat", {{"up", "up-model"}}).tables("[cache]\nenabled = true\npath = \"" + dir.file("cache") + "\"");
    GatewayProcess gw(dir, cfg.str());
    HttpClient http;

    auto first = http.post_json(gw.url("/v1/messages"), messages_body("chat", "hi there", false, kDeterministic),
                                anthropic_headers());
    REQUIRE(first.status == 200);
    CHECK(first.header("x-sovgw-cache") == "miss");
    REQUIRE(wait_for_stores(http, gw, 1));

    auto hit = http.post_json(gw.url("/v1/messages"), messages_body("chat", "hi there", false, kDeterministic),
                              anthropic_headers());
    REQUIRE(hit.status == 200);
    CHECK(hit.header("x-sovgw-cache") == "hit");
    const auto message = parse_json(hit.body).as_object();
    CHECK(message.at("type") == "message");
    CHECK(message_text(message) == "Hello from up: hi there");
    CHECK(message.at("stop_reason") == "end_turn");

    const auto s = http.stream(gw.url("/v1/messages"), messages_body("chat", "hi there", true, kDeterministic),
                               anthropic_headers());
    REQUIRE(s.status == 200);
    CHECK(s.header("x-sovgw-cache") == "hit");
    CHECK(anthropic_stream_text(s) == "Hello from up: hi there");
    const auto names = anthropic_events(s);
    REQUIRE_FALSE(names.empty());
    CHECK(names.front() == "message_start");
    CHECK(names.back() == "message_stop");

    // The same conversation asked through the OpenAI API is another entry.
    auto openai = http.post_json(gw.url("/v1/chat/completions"),
                                 R"({"model":"chat","temperature":0,"messages":[{"role":"user","content":"hi there"}]})");
    REQUIRE(openai.status == 200);
    CHECK(openai.header("x-sovgw-cache") == "miss");
    CHECK(fake.requests().size() == 2);  // the first Anthropic request and the OpenAI one
  }
}

}  // namespace sovgw::testing
