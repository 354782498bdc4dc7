// The operations surface through the real binary: GET /metrics on the admin listener passes the
// real `promtool check metrics`; the real Prometheus server scrapes sovgw and answers queries, and
// evaluates every query of the Grafana dashboard; every sovgw_* name the dashboard and the alert
// rules use exists in a scrape; the admin token guards /admin/* (health stays open) and a missing
// token variable stops the start. Traffic-driven checks (request counters, the access log line
// of a request full of PII) are marked skip until the Pipeline calls Metrics::observe and
// AccessLog::write; they go green once it does.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "tests/integration/gateway_fixture.hpp"

namespace sovgw::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string read_source(std::string_view relative) {
  std::string path = SOVGW_SOURCE_DIR;
  path.append("/").append(relative);
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

// The value of the series line that starts with `series` exactly (name and labels as exposed),
// or -1 when the scrape has none.
double scraped_value(const std::string& scrape, std::string_view series) {
  std::istringstream lines(scrape);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

// Every series name in a scrape (histograms as _bucket, _sum and _count), and every family name.
std::set<std::string> names_in_scrape(const std::string& scrape) {
  std::set<std::string> names;
  std::istringstream lines(scrape);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("# TYPE ")) {
      names.insert(line.substr(7, line.find(' ', 7) - 7));
    } else if (!line.empty() && line[0] != '#') {
      names.insert(line.substr(0, line.find_first_of("{ ")));
    }
  }
  return names;
}

std::set<std::string> sovgw_names_in(const std::string& text) {
  std::set<std::string> names;
  static const std::regex kName("sovgw_[a-z0-9_]*[a-z0-9]");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kName); it != std::sregex_iterator(); ++it) {
    names.insert(it->str());
  }
  return names;
}

// Runs a shell command line; returns the exit code, with its stdout and stderr.
struct Ran {
  int code = -1;
  std::string out;
  std::string err;
};
Ran run_shell(const TempDir& dir, const std::string& command, std::chrono::milliseconds timeout = 20s) {
  static int n = 0;
  const std::string err_file = dir.file("sh-" + std::to_string(++n) + ".stderr");
  ChildProcess p({.program = "/bin/sh", .args = {"-c", command}, .stderr_path = err_file});
  Ran ran;
  ran.code = p.wait_exit(timeout).value_or(-1);
  for (const auto& line : p.stdout_lines()) ran.out += line + "\n";
  ran.err = p.stderr_text();
  return ran;
}

// A Prometheus server on loopback scraping sovgw's admin port every second.
class PrometheusServer {
 public:
  PrometheusServer(const TempDir& dir, std::uint16_t sovgw_admin_port) : port_(closed_port()) {
    const std::string config = dir.write("prometheus.yml",
                                         "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                         "scrape_configs:\n  - job_name: sovgw\n    static_configs:\n"
                                         "      - targets: ['127.0.0.1:" +
                                             std::to_string(sovgw_admin_port) + "']\n");
    process_ = std::make_unique<ChildProcess>(
        ChildProcess::Options{.program = "prometheus",
                              .args = {"--config.file=" + config, "--storage.tsdb.path=" + dir.file("tsdb"),
                                       "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"},
                              .stderr_path = dir.file("prometheus.stderr.log"),
                              .stop_grace = 5000ms});
  }

  std::string log() const { return process_->stderr_text(); }

  // GET /api/v1/query; the parsed answer (null when Prometheus is not answering yet).
  boost::json::value query(std::string_view promql) {
    HttpResponse r =
        http_.get("http://127.0.0.1:" + std::to_string(port_) + "/api/v1/query?query=" + url_encode(promql));
    boost::json::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    return ec ? boost::json::value() : v;
  }

  // Polls (200 ms steps) until the query returns at least one series, or the deadline passes;
  // returns the last result array.
  boost::json::array wait_for_series(std::string_view promql, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto answer = query(promql);
      const auto* data = answer.is_object() ? answer.as_object().if_contains("data") : nullptr;
      const auto* result = data && data->is_object() ? data->as_object().if_contains("result") : nullptr;
      if (result && result->is_array() && !result->as_array().empty()) return result->as_array();
      if (std::chrono::steady_clock::now() >= deadline) return {};
      std::this_thread::sleep_for(200ms);
    }
  }

 private:
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> process_;
  HttpClient http_{5000ms};
};

// Grafana's variables, as a query with every instance and model selected would see them.
std::string grafana_to_promql(std::string expr) {
  for (auto [from, to] :
       {std::pair<std::string, std::string>{"$__rate_interval", "1m"}, {"$instance", ".*"}, {"$model", ".*"}}) {
    for (auto pos = expr.find(from); pos != std::string::npos; pos = expr.find(from, pos + to.size())) {
      expr.replace(pos, from.size(), to);
    }
  }
  return expr;
}

// Every PromQL expression of the dashboard: panel targets and annotations.
std::vector<std::string> dashboard_queries(const boost::json::object& dashboard) {
  std::vector<std::string> out;
  for (const auto& panel : dashboard.at("panels").as_array()) {
    if (const auto* targets = panel.as_object().if_contains("targets")) {
      for (const auto& target : targets->as_array()) out.emplace_back(target.at("expr").as_string());
    }
  }
  for (const auto& annotation : dashboard.at("annotations").at("list").as_array()) {
    out.emplace_back(annotation.at("expr").as_string());
  }
  return out;
}

}  // namespace

TEST_CASE("metrics: GET /metrics on the admin listener passes the real promtool check metrics") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake, "health_check = false").str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  HttpResponse r = http.get(gw.admin_url("/metrics"));
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == kContentType);
  CHECK(r.body.find("sovgw_build_info{version=\"") != std::string::npos);
  CHECK(scraped_value(r.body, R"(sovgw_backend_state{backend="alpha",state="healthy"})") == 1);
  CHECK(scraped_value(r.body, R"(sovgw_model_sovereign_ready{model="chat"})") == 1);
  CHECK(scraped_value(r.body, R"(sovgw_requests_total{backend="alpha",code_class="2xx",model="chat"})") == 0);
  CHECK(scraped_value(r.body, "sovgw_active_connections") == 0);  // the admin connection is not a client's

  const std::string file = dir.write("scrape.txt", r.body);
  Ran check = run_shell(dir, "promtool check metrics < '" + file + "'");
  INFO("promtool stdout: " << check.out << "\nstderr: " << check.err);
  CHECK(check.code == 0);
  CHECK(check.err.empty());
}

TEST_CASE("metrics: every sovgw_* name in the dashboard and the alert rules exists in a real scrape") {
  TempDir dir;
  FakeUpstream alpha(dir, "alpha");
  FakeUpstream beta(dir, "beta");
  // Two targets, so failovers between them are possible and their series exist.
  ConfigText config;
  config.backend("alpha", alpha.base_url(), "health_check = false")
      .backend("beta", beta.base_url(), "health_check = false")
      .model("chat", {{"alpha", "fake-model"}, {"beta", "fake-model"}});
  GatewayProcess gw(dir, config.str());
  HttpClient http;
  const std::string scrape = http.get(gw.admin_url("/metrics")).body;
  const auto scraped = names_in_scrape(scrape);
  INFO("scrape:\n" << scrape);

  const std::string dashboard_text = read_source("deploy/grafana/sovgw.json");
  boost::json::error_code ec;
  const auto dashboard = boost::json::parse(dashboard_text, ec);
  REQUIRE_MESSAGE(!ec, "deploy/grafana/sovgw.json is not JSON: " << ec.message());
  std::set<std::int64_t> ids;
  for (const auto& panel : dashboard.at("panels").as_array()) {
    CHECK(ids.insert(panel.at("id").as_int64()).second);  // Grafana needs unique panel ids
    CHECK(panel.as_object().contains("gridPos"));
  }
  const auto used = sovgw_names_in(dashboard_text);
  CHECK(used.size() >= 15);
  for (const auto& name : used) {
    CAPTURE(name);
    CHECK(scraped.count(name) == 1);
  }
  const auto alerted = sovgw_names_in(read_source("deploy/prometheus/alerts.yml"));
  CHECK(alerted.size() >= 8);
  for (const auto& name : alerted) {
    CAPTURE(name);
    CHECK(scraped.count(name) == 1);
  }
}

TEST_CASE("metrics: the real Prometheus scrapes sovgw, answers queries, and runs every dashboard query") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake, "health_check = false").str());
  PrometheusServer prometheus(dir, gw.admin_port());
  INFO("sovgw log:\n" << gw.log());
  INFO("prometheus log:\n" << prometheus.log());

  auto info = prometheus.wait_for_series("sovgw_build_info", 30s);
  REQUIRE(info.size() == 1);
  CHECK(info[0].at("metric").at("job") == "sovgw");
  CHECK(info[0].at("value").as_array()[1] == "1");
  auto state = prometheus.wait_for_series(R"(sovgw_backend_state{backend="alpha",state="healthy"} == 1)", 5s);
  CHECK(state.size() == 1);

  const auto dashboard = boost::json::parse(read_source("deploy/grafana/sovgw.json")).as_object();
  for (const auto& expr : dashboard_queries(dashboard)) {
    const std::string promql = grafana_to_promql(expr);
    CAPTURE(promql);
    auto answer = prometheus.query(promql);
    REQUIRE(answer.is_object());
    CHECK(answer.at("status") == "success");
  }
}

TEST_CASE("admin: with admin.token_env, /admin needs the bearer token; health and metrics stay open") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  auto config = one_backend(fake, "health_check = false").admin("token_env = \"SOVGW_TEST_ADMIN_TOKEN\"");
  GatewayProcess gw(dir, config.str(), {.env = {{"SOVGW_TEST_ADMIN_TOKEN", "open-sesame"}}});
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;

  HttpResponse refused = http.get(gw.admin_url("/admin/backends"));
  CHECK(refused.status == 401);
  CHECK(refused.header("www-authenticate") == "Bearer realm=\"sovgw-admin\"");
  check_openai_error(refused.body, "invalid_api_key");
  CHECK(http.get(gw.admin_url("/admin/backends"), {{"authorization", "Bearer wrong"}}).status == 401);
  CHECK(http.post_json(gw.admin_url("/admin/sovereign-mode"), R"({"enabled":true})").status == 401);
  CHECK(parse_json(http.get(gw.admin_url("/admin/sovereign-mode"), {{"authorization", "Bearer open-sesame"}}).body)
            .at("sovereign_mode") == false);  // the refused POST changed nothing
  HttpResponse allowed = http.get(gw.admin_url("/admin/backends"), {{"authorization", "Bearer open-sesame"}});
  CHECK(allowed.status == 200);
  CHECK(http.get(gw.admin_url("/healthz")).status == 200);
  CHECK(http.get(gw.admin_url("/readyz")).status == 200);
  CHECK(http.get(gw.admin_url("/metrics")).status == 200);
  CHECK(gw.log().find("open-sesame") == std::string::npos);
}

TEST_CASE("admin: metrics_require_token puts /metrics behind the token too") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  auto config = one_backend(fake, "health_check = false")
                    .admin("token_env = \"SOVGW_TEST_ADMIN_TOKEN\"")
                    .admin("metrics_require_token = true");
  GatewayProcess gw(dir, config.str(), {.env = {{"SOVGW_TEST_ADMIN_TOKEN", "open-sesame"}}});
  HttpClient http;
  CHECK(http.get(gw.admin_url("/metrics")).status == 401);
  HttpResponse r = http.get(gw.admin_url("/metrics"), {{"authorization", "Bearer open-sesame"}});
  CHECK(r.status == 200);
  CHECK(r.header("content-type") == kContentType);
  CHECK(http.get(gw.admin_url("/healthz")).status == 200);
}

TEST_CASE("admin: sovgw refuses to start when the admin token's variable is not set") {
  TempDir dir;
  const std::string config = dir.write(
      "sovgw.toml", ConfigText().admin("token_env = \"SOVGW_TEST_UNSET_TOKEN\"").backend("a", closed_base_url()).str());
  ChildProcess p({.program = GatewayProcess::binary(),
                  .args = {"--config", config},
                  .env = {{"SOVGW_TEST_UNSET_TOKEN", ""}},
                  .stderr_path = dir.file("sovgw.stderr.log")});
  CHECK(p.wait_exit(5000ms) == 1);
  CHECK(p.stderr_text().find("admin.token_env names SOVGW_TEST_UNSET_TOKEN, which is not set") != std::string::npos);
  CHECK(p.stdout_lines().empty());  // never READY
}

// --- Traffic-driven: green once the Pipeline calls Metrics::observe and AccessLog::write. ---

TEST_CASE("metrics: a chat request and a stream count in the request, token and latency series") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake, "health_check = false").str());
  INFO("sovgw log:\n" << gw.log());
  HttpClient http;
  REQUIRE(http.post_json(gw.url("/v1/chat/completions"), chat_body("chat")).status == 200);
  SseStreamResult s = http.stream(gw.url("/v1/chat/completions"), chat_body("chat", "stream please", true));
  REQUIRE(s.status == 200);
  REQUIRE(http.post_json(gw.url("/v1/chat/completions"), chat_body("no-such-model")).status == 404);

  const std::string scrape = http.get(gw.admin_url("/metrics")).body;
  INFO(scrape);
  CHECK(scraped_value(scrape, R"(sovgw_requests_total{backend="alpha",code_class="2xx",model="chat"})") == 2);
  CHECK(scraped_value(scrape, R"(sovgw_requests_total{backend="none",code_class="4xx",model="unknown"})") == 1);
  CHECK(scraped_value(scrape, R"(sovgw_upstream_attempts_total{backend="alpha",class="ok"})") == 2);
  CHECK(scraped_value(scrape, R"(sovgw_tokens_total{backend="alpha",direction="input"})") > 0);
  CHECK(scraped_value(scrape, R"(sovgw_request_duration_seconds_count{model="chat"})") == 2);
  CHECK(scraped_value(scrape, R"(sovgw_time_to_first_token_seconds_count{backend="alpha"})") == 1);
  CHECK(scraped_value(scrape, R"(sovgw_stream_inter_token_seconds_count{backend="alpha"})") > 0);
  CHECK(scraped_value(scrape, "sovgw_gateway_overhead_seconds_count") == 3);
  CHECK(scraped_value(scrape, "sovgw_active_streams") == 0);
  CHECK(scraped_value(scrape, R"(sovgw_cache_requests_total{result="bypass"})") +
            scraped_value(scrape, R"(sovgw_cache_requests_total{result="miss"})") ==
        2);
}

TEST_CASE("metrics: Prometheus reads back a request counted by sovgw") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  GatewayProcess gw(dir, one_backend(fake, "health_check = false").str());
  PrometheusServer prometheus(dir, gw.admin_port());
  HttpClient http;
  REQUIRE(http.post_json(gw.url("/v1/chat/completions"), chat_body("chat")).status == 200);
  auto counted =
      prometheus.wait_for_series(R"(sovgw_requests_total{model="chat",backend="alpha",code_class="2xx"} == 1)", 30s);
  CHECK(counted.size() == 1);
}

TEST_CASE("access log: a request full of PII produces one JSON line without any of it") {
  TempDir dir;
  FakeUpstream fake(dir, "alpha");
  const std::string log_path = dir.file("access.log");
  auto config = one_backend(fake, "health_check = false").tables("[access_log]\npath = \"" + log_path + "\"");
  GatewayProcess gw(dir, config.str());
  HttpClient http;
  const std::string pii =
      "주민번호 900101-1234568, card 4111 1111 1111 1111, kim@example.com, sk-proj-abcdefghijklmnop1234";
  REQUIRE(
      http.post_json(gw.url("/v1/chat/completions"), chat_body("chat", pii), {{"x-request-id", "pii-test-1"}}).status ==
      200);
  CHECK(gw.stop() == 0);  // the log is flushed on the way out

  const std::string text = dir.read("access.log");
  INFO(text);
  REQUIRE(std::count(text.begin(), text.end(), '\n') == 1);
  for (std::string_view secret : {"900101", "1234568", "4111", "kim@example.com", "sk-proj", "주민번호"}) {
    CAPTURE(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
  auto line = parse_json(text);
  CHECK(line.at("request_id") == "pii-test-1");
  CHECK(line.at("model") == "chat");
  CHECK(line.at("backend") == "alpha");
  CHECK(line.at("status") == 200);
}

}  // namespace sovgw::testing
