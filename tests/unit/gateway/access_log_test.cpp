// AccessLog: the line for a full RequestRecord parses as JSON and has every field; nothing a client
// typed that is not configured reaches it; lines written from several workers all reach the file
// whole, and reopen() follows a rotated file.
#include "gateway/access_log.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gateway/request_record.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;
using sovgw::AccessLog;
using sovgw::RequestRecord;

RequestRecord full_record() {
  RequestRecord r;
  r.start_time =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1735787045678));  // 2025-01-02T03:04:05.678Z
  r.request_id = "req-\"1\"";
  r.tenant = "hr";
  r.api = "chat";
  r.model = "chat";
  r.model_known = true;
  r.data_class = "confidential";
  r.stream = true;
  r.status = 200;
  r.backend = "onprem";
  r.outcome = "ok";
  r.attempts = {{"foreign", "cut_off", "region_block"}, {"onprem", "ok", "ok"}};
  r.failovers = {{"foreign", "onprem", "cut_off"}};
  r.bytes_in = 321;
  r.bytes_out = 4096;
  r.input_tokens = 12;
  r.output_tokens = 40;
  r.duration = 1500ms + 250us;
  r.upstream_duration = 1490ms;
  r.time_to_first_token = 300ms;
  r.cache_result = "miss";
  r.policy_action = "redact";
  r.policy_rule = "no-rrn-abroad";
  r.pii = {{"kr_rrn", 2}, {"email", 1}};
  return r;
}

json::object parse_line(const std::string& line) {
  REQUIRE(!line.empty());
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
  json::error_code ec;
  json::value v = json::parse(line, ec);
  INFO(line);
  REQUIRE_MESSAGE(!ec, ec.message());
  REQUIRE(v.is_object());
  return v.as_object();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line + "\n");
  return out;
}

// The shared test TempDir, with its path as an fs::path.
struct TempDir {
  sovgw::testing::TempDir dir{"sovgw-access"};
  const fs::path path{dir.path()};
};

}  // namespace

TEST_CASE("access log: one JSON line with every field of the record") {
  std::string line;
  AccessLog::format(full_record(), line);
  json::object o = parse_line(line);
  CHECK(o.at("time") == "2025-01-02T03:04:05.678Z");
  CHECK(o.at("request_id") == "req-\"1\"");
  CHECK(o.at("tenant") == "hr");
  CHECK(o.at("api") == "chat");
  CHECK(o.at("model") == "chat");
  CHECK(o.at("stream") == true);
  CHECK(o.at("data_class") == "confidential");
  CHECK(o.at("status") == 200);
  CHECK(o.at("error_code").is_null());
  CHECK(o.at("outcome") == "ok");
  CHECK(o.at("backend") == "onprem");
  CHECK(o.at("attempts") == 2);
  const auto& upstream = o.at("upstream").as_array();
  REQUIRE(upstream.size() == 2);
  CHECK(upstream[0].at("backend") == "foreign");
  CHECK(upstream[0].at("class") == "cut_off");
  CHECK(upstream[0].at("reason") == "region_block");
  const auto& failovers = o.at("failovers").as_array();
  REQUIRE(failovers.size() == 1);
  CHECK(failovers[0].at("from") == "foreign");
  CHECK(failovers[0].at("to") == "onprem");
  CHECK(failovers[0].at("reason") == "cut_off");
  CHECK(o.at("bytes_in") == 321);
  CHECK(o.at("bytes_out") == 4096);
  CHECK(o.at("input_tokens") == 12);
  CHECK(o.at("output_tokens") == 40);
  CHECK(o.at("duration_ms").to_number<double>() == doctest::Approx(1500.25));
  CHECK(o.at("upstream_ms").to_number<double>() == doctest::Approx(1490));
  CHECK(o.at("overhead_ms").to_number<double>() == doctest::Approx(10.25));
  CHECK(o.at("ttft_ms").to_number<double>() == doctest::Approx(300));
  CHECK(o.at("cache") == "miss");
  CHECK(o.at("policy_action") == "redact");
  CHECK(o.at("policy_rule") == "no-rrn-abroad");
  CHECK(o.at("pii").at("kr_rrn") == 2);
  CHECK(o.at("pii").at("email") == 1);
}

TEST_CASE("access log: absent values are null, and an unconfigured model name is not logged") {
  RequestRecord r;
  r.model = "홍길동 880101-1234567\n\x01";
  r.model_known = false;
  r.status = 404;
  r.error_code = "model_not_found";
  std::string line;
  AccessLog::format(r, line);
  CHECK(line.find("880101") == std::string::npos);
  CHECK(line.find("홍길동") == std::string::npos);
  json::object o = parse_line(line);
  CHECK(o.at("model") == "unknown");
  CHECK(o.at("error_code") == "model_not_found");
  CHECK(o.at("backend").is_null());
  CHECK(o.at("input_tokens").is_null());
  CHECK(o.at("ttft_ms").is_null());
  CHECK(o.at("attempts") == 0);
  CHECK(o.at("upstream").as_array().empty());
  CHECK(o.at("pii").as_object().empty());
  CHECK(o.at("time").as_string().size() == 24);  // now, as RFC 3339 with milliseconds
}

TEST_CASE("access log: control characters and quotes are escaped") {
  RequestRecord r;
  r.request_id = std::string("a\"b\\c\nd\x1f", 8);
  std::string line;
  AccessLog::format(r, line);
  CHECK(parse_line(line).at("request_id").as_string() == std::string_view("a\"b\\c\nd\x1f", 8));
}

TEST_CASE("access log: lines from every worker reach the file whole, and reopen follows rotation") {
  TempDir dir;
  const fs::path file = dir.path / "access.log";
  auto opened = AccessLog::open({true, file.string()}, 2);
  REQUIRE(opened);
  auto& log = **opened;
  constexpr int kPerWorker = 2000;
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < 2; ++w) {
    workers.emplace_back([&log, w] {
      RequestRecord r = full_record();
      for (int i = 0; i < kPerWorker; ++i) {
        r.request_id = std::to_string(w) + "-" + std::to_string(i);
        log.write(w, r);
      }
    });
  }
  for (auto& t : workers) t.join();
  log.flush();
  auto lines = lines_of(read_file(file));
  REQUIRE(lines.size() == 2 * kPerWorker);
  for (const auto& line : lines) parse_line(line);
  CHECK(log.dropped() == 0);

  fs::rename(file, dir.path / "access.log.1");
  log.reopen();
  log.write(0, full_record());
  log.flush();
  CHECK(lines_of(read_file(file)).size() == 1);
  CHECK(lines_of(read_file(dir.path / "access.log.1")).size() == 2 * kPerWorker);
}

TEST_CASE("access log: a file that cannot be opened is an error at startup") {
  auto opened = AccessLog::open({true, "/nonexistent-dir/access.log"}, 1);
  REQUIRE_FALSE(opened);
  CHECK(opened.error().detail.find("/nonexistent-dir/access.log") != std::string::npos);
}
