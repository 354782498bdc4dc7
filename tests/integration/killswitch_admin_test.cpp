// The kill switch remembered and reported: health checks find a black hole with no traffic and
// bring a cut-off backend back; three network failures open the breaker and one half-open request
// closes it; sovereign mode (by admin or automatic) keeps traffic at home; the drill says who keeps
// serving when the foreign providers go away; a cut-off found by a stream sticks; a 503 with
// Retry-After makes the backend busy. Through the real sovgw against fake upstreams.
#include <doctest/doctest.h>

#include "tests/integration/killswitch_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;
using namespace killswitch;

TEST_CASE("killswitch: health checks find a black hole with no traffic; requests then skip it") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  foreign.script("[]", R"({"action":"hang"})");
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, "health_check_interval_ms = 300\nhealth_check_timeout_ms = 300")
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"});
  GatewayProcess gw(dir, cfg.str());
  Stopwatch since_ready;
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  // First probe at 300 ms, times out at 600 ms: one failed probe ejects at once.
  CHECK(wait_for_state(http, gw, "foreign", "open", 3000ms) == "open");
  CHECK(since_ready.ms() < 1500);
  CHECK_FALSE(foreign.requests().empty());  // the probes did reach it
  for (const auto& req : foreign.requests()) CHECK(req.target == "/v1/models");

  Stopwatch clock;
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(clock.ms() < 300);
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "local");
  CHECK(r.header("x-sovgw-attempts") == "1");
  CHECK(chat_requests(foreign).empty());
  CHECK(chat_requests(local).size() == 1);
}

TEST_CASE("killswitch: a cut-off backend comes back when a health check succeeds") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  foreign.script("[]", status_behaviour(403, kRegionBlock));  // probes are refused too
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, "health_check_interval_ms = 300\nhealth_check_timeout_ms = 300")
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "blocked"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "local");
  CHECK(wait_for_state(http, gw, "foreign", "cut_off", 2000ms) == "cut_off");
  // A failed probe (403) leaves it cut off: still cut off after a few more probe rounds.
  const std::size_t probes_before = foreign.requests().size();
  foreign.wait_for_requests(probes_before + 2, 2000ms);
  CHECK(backend_state(http, gw, "foreign") == "cut_off");
  CHECK(chat_requests(foreign).size() <= 1);  // at most the request that found the block

  foreign.clear_script();  // the provider lets us in again
  CHECK(wait_for_state(http, gw, "foreign", "healthy", 2000ms) == "healthy");
  const std::size_t chats_before = chat_requests(foreign).size();
  HttpResponse back = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "welcome back"));
  CHECK(back.status == 200);
  CHECK(back.header("x-sovgw-backend") == "foreign");
  CHECK(back.header("x-sovgw-attempts") == "1");
  CHECK(answer_text(back) == "Hello from foreign: welcome back");
  auto to_foreign = chat_requests(foreign);
  REQUIRE(to_foreign.size() == chats_before + 1);
  CHECK(parse_json(to_foreign.back().body).at("messages").at(0).at("content") == "welcome back");
  CHECK(chat_requests(local).size() == 1);
}

TEST_CASE("killswitch: sovereign mode via the admin API keeps traffic at home, and lets it out again") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, kNoProbes)
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"})
      .model("abroad", {"foreign"});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  HttpResponse before = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(before.header("x-sovgw-backend") == "foreign");

  HttpResponse on = http.post_json(gw.admin_url("/admin/sovereign-mode"), R"({"enabled":true})");
  CHECK(on.status == 200);
  CHECK(parse_json(on.body).at("sovereign_mode") == true);
  CHECK(parse_json(http.get(gw.admin_url("/admin/sovereign-mode")).body).at("sovereign_mode") == true);
  for (int i = 0; i < 2; ++i) {
    CAPTURE(i);
    HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "at home"));
    CHECK(r.status == 200);
    CHECK(r.header("x-sovgw-backend") == "local");
    CHECK(r.header("x-sovgw-attempts") == "1");
  }
  HttpResponse abroad = http.post_json(gw.url("/v1/chat/completions"), chat_body("abroad"));
  CHECK(abroad.status == 503);
  check_openai_error(abroad.body, "no_available_target");
  CHECK(chat_requests(foreign).size() == 1);  // nothing left the country while on
  CHECK(chat_requests(local).size() == 2);

  HttpResponse off = http.post_json(gw.admin_url("/admin/sovereign-mode"), R"({"enabled":false})");
  CHECK(off.status == 200);
  CHECK(parse_json(off.body).at("sovereign_mode") == false);
  HttpResponse after = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "abroad again"));
  CHECK(after.header("x-sovgw-backend") == "foreign");
  HttpResponse abroad_after = http.post_json(gw.url("/v1/chat/completions"), chat_body("abroad"));
  CHECK(abroad_after.status == 200);
  CHECK(abroad_after.header("x-sovgw-backend") == "foreign");
  CHECK(chat_requests(foreign).size() == 3);
  CHECK(chat_requests(local).size() == 2);
}

TEST_CASE("killswitch: the drill says which models keep serving with the foreign backend cut off") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, kNoProbes)
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"})
      .model("abroad", {"foreign"});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  foreign.script("[]", status_behaviour(403, kRegionBlock));
  HttpClient http;

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.header("x-sovgw-backend") == "local");
  REQUIRE(backend_state(http, gw, "foreign") == "cut_off");

  for (const char* method : {"GET", "POST"}) {
    CAPTURE(method);
    HttpResponse drill = http.request(method, gw.admin_url("/admin/drill"));
    INFO("drill: " << drill.body);
    CHECK(drill.status == 200);
    gwjson::value v = parse_json(drill.body);
    REQUIRE(v.is_object());
    CHECK(v.at("models_total") == 2);
    CHECK(v.at("models_serving") == 1);
    bool saw_chat = false, saw_abroad = false;
    for (const auto& m : v.at("models").as_array()) {
      if (m.at("model") == "chat") {
        saw_chat = true;
        CHECK(m.at("keeps_serving") == true);
        CHECK(m.at("served_by").at("backend") == "local");
        CHECK(m.at("served_by").at("model") == "local-model");
      } else if (m.at("model") == "abroad") {
        saw_abroad = true;
        CHECK(m.at("keeps_serving") == false);
        REQUIRE(m.as_object().contains("targets"));
        CHECK(m.at("targets").at(0).at("backend") == "foreign");
        CHECK(m.at("targets").at(0).at("foreign") == true);
        CHECK(m.at("targets").at(0).at("state") == "cut_off");
      }
    }
    CHECK(saw_chat);
    CHECK(saw_abroad);
  }
  // /admin/backends agrees, model by model.
  gwjson::value report = parse_json(http.get(gw.admin_url("/admin/backends")).body);
  for (const auto& m : report.at("models").as_array()) {
    CAPTURE(gwjson::serialize(m));
    CHECK(m.at("sovereign_ready") == (m.at("model") == "chat"));
  }
  // The drill is a report, not a switch: nothing changed and no request went anywhere.
  CHECK(parse_json(http.get(gw.admin_url("/admin/sovereign-mode")).body).at("sovereign_mode") == false);
  CHECK(chat_requests(foreign).size() == 1);
  CHECK(chat_requests(local).size() == 1);
}

TEST_CASE("killswitch: three network failures in a row open the breaker; the fourth request skips the backend") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback).str());
  INFO("sovgw log:\n" << gw.log());
  primary.script("[]", R"({"action":"reset"})");
  HttpClient http;

  for (int i = 1; i <= 3; ++i) {
    CAPTURE(i);
    HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
    CHECK(r.status == 200);
    CHECK(r.header("x-sovgw-backend") == "fallback");
    CHECK(r.header("x-sovgw-attempts") == "2");  // a network failure is not retried on the same backend
    CHECK(chat_requests(primary).size() == static_cast<std::size_t>(i));
    CHECK(backend_state(http, gw, "primary") == (i < 3 ? "healthy" : "open"));
  }
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.header("x-sovgw-backend") == "fallback");
  CHECK(r.header("x-sovgw-attempts") == "1");
  CHECK(chat_requests(primary).size() == 3);
  CHECK(chat_requests(fallback).size() == 4);
  gwjson::value entry = backend_entry(http, gw, "primary");
  INFO("primary: " << gwjson::serialize(entry));
  REQUIRE(entry.is_object());
  CHECK(entry.at("ejections") == 1);
}

TEST_CASE("killswitch: auto_sovereign_mode enters sovereign mode when every foreign backend is cut off") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  KsConfig cfg;
  cfg.gateway("auto_sovereign_mode = true")
      .backend("foreign", foreign.base_url(), true, kNoProbes)
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"})
      .model("abroad", {"foreign"});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  foreign.script("[]", status_behaviour(403, kRegionBlock));
  HttpClient http;

  CHECK(parse_json(http.get(gw.admin_url("/admin/sovereign-mode")).body).at("sovereign_mode") == false);
  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.header("x-sovgw-backend") == "local");
  CHECK(parse_json(http.get(gw.admin_url("/admin/sovereign-mode")).body).at("sovereign_mode") == true);
  HttpResponse abroad = http.post_json(gw.url("/v1/chat/completions"), chat_body("abroad"));
  CHECK(abroad.status == 503);
  check_openai_error(abroad.body, "no_available_target");
  CHECK(chat_requests(foreign).size() == 1);
}

TEST_CASE("killswitch: after the ejection time one half-open request tries the backend again and closes the breaker") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback, "failure_threshold = 1\nbase_ejection_ms = 300").str());
  INFO("sovgw log:\n" << gw.log());
  primary.script(R"([{"action":"reset"}])");
  HttpClient http;

  HttpResponse first = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "one"));
  CHECK(first.header("x-sovgw-backend") == "fallback");
  CHECK(backend_state(http, gw, "primary") == "open");
  CHECK(wait_for_state(http, gw, "primary", "half_open", 2000ms) == "half_open");
  HttpResponse probe = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", "two"));
  CHECK(probe.status == 200);
  CHECK(probe.header("x-sovgw-backend") == "primary");
  CHECK(probe.header("x-sovgw-attempts") == "1");
  CHECK(answer_text(probe) == "Hello from primary: two");
  CHECK(backend_state(http, gw, "primary") == "healthy");
  auto to_primary = chat_requests(primary);
  REQUIRE(to_primary.size() == 2);
  CHECK(parse_json(to_primary[1].body).at("messages").at(0).at("content") == "two");
  CHECK(chat_requests(fallback).size() == 1);
}

TEST_CASE("killswitch: a cut-off found by a stream request fails it over before any byte and sticks") {
  TempDir dir;
  FakeUpstream foreign(dir, "foreign");
  FakeUpstream local(dir, "local");
  KsConfig cfg;
  cfg.backend("foreign", foreign.base_url(), true, kNoProbes)
      .backend("local", local.base_url(), false, kNoProbes)
      .model("chat", {"foreign", "local"});
  GatewayProcess gw(dir, cfg.str());
  INFO("sovgw log:\n" << gw.log());
  foreign.script("[]", status_behaviour(403, kRegionBlock));
  HttpClient http;

  for (const char* attempts : {"2", "1"}) {
    CAPTURE(attempts);
    SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "hi there", true));
    INFO("body: " << s.body);
    CHECK(s.status == 200);
    CHECK(s.header("x-sovgw-backend") == "local");
    CHECK(s.header("x-sovgw-attempts") == attempts);
    CHECK(stream_text(s) == "Hello from local: hi there");
    CHECK(has_done(s));
    CHECK(s.body.find("unsupported_country") == std::string::npos);
  }
  CHECK(chat_requests(foreign).size() == 1);
  CHECK(chat_requests(local).size() == 2);
  CHECK(backend_state(http, gw, "foreign") == "cut_off");
}

TEST_CASE("killswitch: a 503 with Retry-After is not retried on the same backend; it is busy until then") {
  TempDir dir;
  FakeUpstream primary(dir, "primary");
  FakeUpstream fallback(dir, "fallback");
  GatewayProcess gw(dir, primary_fallback(primary, fallback).str());
  INFO("sovgw log:\n" << gw.log());
  primary.script(R"([{"action":"status","status":503,"retry_after":"5"}])");
  HttpClient http;

  HttpResponse r = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(r.status == 200);
  CHECK(r.header("x-sovgw-backend") == "fallback");
  CHECK(r.header("x-sovgw-attempts") == "2");  // the server said when to come back: no jittered retry
  CHECK(backend_state(http, gw, "primary") == "busy");
  HttpResponse again = http.post_json(gw.url("/v1/chat/completions"), chat_body("chat"));
  CHECK(again.header("x-sovgw-backend") == "fallback");
  CHECK(again.header("x-sovgw-attempts") == "1");
  CHECK(chat_requests(primary).size() == 1);
  CHECK(chat_requests(fallback).size() == 2);
}

}  // namespace
}  // namespace sovgw::testing
