// Config loader: one test per validation rule asserting the exact message operators see, a test
// that all problems come back in line order, a full valid config, and the shipped example file.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

#include "gateway/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using sovgw::load_config_file;
using sovgw::load_config_string;

// Tests write their TOML starting on the line after R"( for readability; line 1 is the first
// line of content.
std::string_view strip_first_newline(std::string_view text) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return text;
}

// Every problem, one per line, so a mismatch prints readably.
std::string problems_of(std::string_view text) {
  auto load = load_config_string(strip_first_newline(text), "t.toml");
  std::string out;
  for (const auto& problem : load.problems) out += (out.empty() ? "" : "\n") + problem;
  CHECK(load.config.has_value() == load.problems.empty());
  return out;
}

sovgw::Config load_ok(std::string_view text) {
  auto load = load_config_string(strip_first_newline(text), "t.toml");
  for (const auto& problem : load.problems) FAIL_CHECK(problem);
  REQUIRE(load);
  return *load.config;
}

// A temporary directory removed with everything in it at the end of the test.
// The shared test TempDir, seen through the fs::path interface these tests use.
class TempDir {
 public:
  fs::path path() const { return dir_.path(); }
  fs::path write(const std::string& name, std::string_view text) const { return dir_.write(name, text); }

 private:
  sovgw::testing::TempDir dir_{"sovgw-config"};
};

// A backend that is valid on its own, for tests about something else.
constexpr std::string_view kOneBackend = R"(
[[backends]]
name = "onprem"
base_url = "http://127.0.0.1:8000/v1"
jurisdiction = "KR"
)";

std::string with_backend(std::string_view rest) {
  return std::string(strip_first_newline(kOneBackend)) + std::string(strip_first_newline(rest));
}

}  // namespace

TEST_CASE("config: a TOML syntax error is the only problem reported") {
  CHECK(problems_of(R"(
[gateway]
workers = 2000
[admin
listen = "x"
)") == "t.toml:3: syntax error: Error while parsing table header: expected ']', saw '\\n'");
}

TEST_CASE("config: an unknown key is reported with the nearest valid name") {
  CHECK(problems_of(with_backend(R"(
api_kye = "OPENAI_API_KEY"
)")) == "t.toml:5: backends[0].api_kye: unknown key (did you mean \"api_key_env\"?)");
  CHECK(problems_of(R"(
[gateway]
max_conections = 5
timeout_header_ms = 5
drain = 5
)") == "t.toml:2: gateway.max_conections: unknown key (did you mean \"max_connections\"?)\n"
       "t.toml:3: gateway.timeout_header_ms: unknown key (did you mean \"header_timeout_ms\"?)\n"
       "t.toml:4: gateway.drain: unknown key (did you mean \"drain_timeout_ms\"?)");
}

TEST_CASE("config: an unknown key with nothing close has no suggestion") {
  CHECK(problems_of(R"(
[gateway]
colour = "blue"
)") == "t.toml:2: gateway.colour: unknown key");
  CHECK(problems_of(with_backend(R"(
request_timeout_ms = 5
)")) == "t.toml:5: backends[0].request_timeout_ms: unknown key");
}

TEST_CASE("config: an unknown top-level table is reported") {
  CHECK(problems_of(R"(
[gatway]
workers = 4
[metrics]
)") == "t.toml:1: gatway: unknown key (did you mean \"gateway\"?)\n"
       "t.toml:3: metrics: unknown key");
}

TEST_CASE("config: a secret written in the file points at api_key_env") {
  CHECK(problems_of(with_backend(R"(
api_key = "sk-live-123"
token = "abc"
api_key_evn = "OPENAI_API_KEY"
)")) == "t.toml:5: backends[0].api_key: unknown key (secrets are never read from the file: "
        "name an environment variable with api_key_env)\n"
        "t.toml:6: backends[0].token: unknown key (secrets are never read from the file: "
        "name an environment variable with api_key_env)\n"
        "t.toml:7: backends[0].api_key_evn: unknown key (did you mean \"api_key_env\"?)");
}

TEST_CASE("config: a value of the wrong type names the expected and the actual type") {
  CHECK(problems_of(R"(
[gateway]
listen = 5
workers = "four"
max_connections = 1.5
)") == "t.toml:2: gateway.listen: must be a string (got integer 5)\n"
       "t.toml:3: gateway.workers: must be an integer (got string \"four\")\n"
       "t.toml:4: gateway.max_connections: must be an integer (got float 1.5)");
  CHECK(problems_of(with_backend(R"(
local = "yes"
)")) == "t.toml:5: backends[0].local: must be a boolean (got string \"yes\")");
  CHECK(problems_of(R"(
backends = 3
gateway = [1, 2]
)") == "t.toml:1: backends: must be an array of tables (got integer 3)\n"
       "t.toml:2: gateway: must be a table (got array [ 1, 2 ])");
  CHECK(problems_of(with_backend(R"(
[[models]]
name = "m"
targets = ["onprem"]
)")) == "t.toml:7: models[0].targets[0]: must be a table (got string \"onprem\")");
}

TEST_CASE("config: a number out of range gives the range") {
  CHECK(problems_of(R"(
[gateway]
workers = 2000
header_timeout_ms = 0
max_header_bytes = 10
)") == "t.toml:2: gateway.workers: must be between 0 and 1024 (got 2000)\n"
       "t.toml:3: gateway.header_timeout_ms: must be between 1 and 86400000 (got 0)\n"
       "t.toml:4: gateway.max_header_bytes: must be between 1024 and 1048576 (got 10)");
  CHECK(problems_of(with_backend(R"(
max_connections = 10
max_idle_connections = 20
)")) == "t.toml:6: backends[0].max_idle_connections: must be at most max_connections, 10 "
        "(got 20)");
}

TEST_CASE("config: a missing required key is reported at its table") {
  CHECK(problems_of(R"(
[[backends]]
name = "onprem"

[[models]]
targets = [{ backend = "onprem" }]

[[models]]
name = "empty"
targets = []
)") == "t.toml:1: backends[0].base_url: required key is missing\n"
       "t.toml:1: backends[0].jurisdiction: required key is missing\n"
       "t.toml:4: models[0].name: required key is missing\n"
       "t.toml:5: models[0].targets[0].model: required key is missing\n"
       "t.toml:9: models[1].targets: must list at least one target (got [])");
  CHECK(problems_of(with_backend(R"(
[[models]]
name = "m"
)")) == "t.toml:5: models[0].targets: required key is missing");
}

TEST_CASE("config: duplicate backend and model names point at the first") {
  CHECK(problems_of(with_backend(R"(
[[backends]]
name = "onprem"
base_url = "http://127.0.0.1:8001"
jurisdiction = "KR"

[[models]]
name = "gpt-4o"
targets = [{ backend = "onprem", model = "a" }]

[[models]]
name = "gpt-4o"
targets = [{ backend = "onprem", model = "b" }]
)")) == "t.toml:6: backends[1].name: duplicate backend name (got \"onprem\", first at line 2)\n"
        "t.toml:15: models[1].name: duplicate model name (got \"gpt-4o\", first at line 11)");
}

TEST_CASE("config: a target naming an unknown backend suggests the nearest one") {
  CHECK(problems_of(with_backend(R"(
[[models]]
name = "m"
targets = [
  { backend = "onprem", model = "a" },
  { backend = "onprm", model = "a" },
  { backend = "zzz", model = "a" },
]
)")) == "t.toml:9: models[0].targets[1].backend: no backend named \"onprm\" (did you mean "
        "\"onprem\"?)\n"
        "t.toml:10: models[0].targets[2].backend: no backend named \"zzz\"");
}

TEST_CASE("config: base_url must be an http(s) URL with a host") {
  struct Case {
    std::string_view url;
    std::string_view message;
  };
  constexpr std::string_view kNotHttp = "must be an http:// or https:// URL with a host";
  const Case cases[] = {
      {"ftp://x", kNotHttp},
      {"api.openai.com/v1", kNotHttp},
      {"http://", kNotHttp},
      {"http://[v1.x]/", kNotHttp},
      {"https://api.example.com/v1?x=1", "must not have a query (?...) or a fragment (#...)"},
      {"https://api.example.com/v1#top", "must not have a query (?...) or a fragment (#...)"},
      {"http://h:0/", "port must be between 1 and 65535"},
      {"http://h:65536/", "port must be between 1 and 65535"},
      {"http://h:/", "port must be between 1 and 65535"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.url);
    std::string text = "[[backends]]\nname = \"b\"\njurisdiction = \"KR\"\nbase_url = \"" +
                       std::string(c.url) + "\"\n";
    CHECK(problems_of(text) ==
          "t.toml:4: backends[0].base_url: " + std::string(c.message) + " (got \"" +
              std::string(c.url) + "\")");
  }
}

TEST_CASE("config: credentials in base_url are rejected without repeating them") {
  CHECK(problems_of(R"(
[[backends]]
name = "b"
jurisdiction = "KR"
base_url = "https://user:hunter2@api.example.com/v1"
)") == "t.toml:4: backends[0].base_url: must not contain user:password@ (secrets are never read "
       "from the file: name an environment variable with api_key_env) (got "
       "\"https://***@api.example.com/v1\")");
}

TEST_CASE("config: a jurisdiction must be an ISO 3166-1 alpha-2 code") {
  CHECK(problems_of(R"(
[gateway]
home_jurisdiction = "Korea"

[[backends]]
name = "b"
base_url = "http://127.0.0.1"
jurisdiction = "kr"

[[backends]]
name = "c"
base_url = "http://127.0.0.1"
jurisdiction = "UK"
)") == "t.toml:2: gateway.home_jurisdiction: must be a 2-letter upper-case ISO 3166-1 alpha-2 "
       "code (got \"Korea\")\n"
       "t.toml:7: backends[0].jurisdiction: must be a 2-letter upper-case ISO 3166-1 alpha-2 "
       "code (got \"kr\")\n"
       "t.toml:12: backends[1].jurisdiction: must be a 2-letter upper-case ISO 3166-1 alpha-2 "
       "code (got \"UK\")");
}

TEST_CASE("config: a listen address must be HOST:PORT") {
  for (std::string_view text :
       {"8080", "127.0.0.1:65536", "127.0.0.1:", "example.com:80", "::1:80", "[::1]80", ":80"}) {
    CAPTURE(text);
    CHECK(problems_of("[admin]\nlisten = \"" + std::string(text) + "\"\n") ==
          "t.toml:2: admin.listen: must be HOST:PORT (got \"" + std::string(text) + "\")");
  }
}

TEST_CASE("config: values in messages are escaped and shortened") {
  CHECK(problems_of("[admin]\nlisten = \"a\\tb\\\"c\\u0001\"\n") ==
        "t.toml:2: admin.listen: must be HOST:PORT (got \"a\\tb\\\"c\\u0001\")");
  std::string long_value(100, 'x');
  CHECK(problems_of("[admin]\nlisten = \"" + long_value + "\"\n") ==
        "t.toml:2: admin.listen: must be HOST:PORT (got \"" + std::string(80, 'x') + "\"...)");
  CHECK(problems_of("[gateway]\nworkers = 1979-05-27\n") ==
        "t.toml:2: gateway.workers: must be an integer (got date 1979-05-27)");
}

TEST_CASE("config: the admin API and the gateway cannot share a socket") {
  CHECK(problems_of(R"(
[gateway]
listen = "0.0.0.0:8080"
[admin]
listen = "127.0.0.1:8080"
)") == "t.toml:4: admin.listen: must differ from gateway.listen (got \"127.0.0.1:8080\")");
}

TEST_CASE("config: ca_file must be readable and is resolved against the config's directory") {
  TempDir dir;
  dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  fs::create_directory(dir.path() / "certs");
  std::string backends = R"(
[[backends]]
name = "good"
base_url = "https://h"
jurisdiction = "KR"
ca_file = "ca.pem"

[[backends]]
name = "missing"
base_url = "https://h"
jurisdiction = "KR"
ca_file = "nope.pem"

[[backends]]
name = "dir"
base_url = "https://h"
jurisdiction = "KR"
ca_file = "certs"
)";
  auto file = dir.write("sovgw.toml", strip_first_newline(backends));
  auto load = load_config_file(file.string());
  std::string base = dir.path().string();
  REQUIRE(load.problems.size() == 2);
  CHECK(load.problems[0] == file.string() + ":11: backends[1].ca_file: cannot read \"" + base +
                                "/nope.pem\": No such file or directory (got \"nope.pem\")");
  CHECK(load.problems[1] == file.string() + ":17: backends[2].ca_file: cannot read \"" + base +
                                "/certs\": not a regular file (got \"certs\")");

  auto good = dir.write("good.toml", "[[backends]]\nname = \"good\"\nbase_url = \"https://h\"\n"
                                     "jurisdiction = \"KR\"\nca_file = \"./certs/../ca.pem\"\n");
  auto good_load = load_config_file(good.string());
  REQUIRE(good_load);
  CHECK(good_load.config->backends[0].ca_file == base + "/ca.pem");
}

TEST_CASE("config: api_key_env must be a variable name and is never echoed") {
  CHECK(problems_of(with_backend(R"(
api_key_env = "sk-proj-abc123"
)")) == "t.toml:5: backends[0].api_key_env: must be an environment variable name such as "
        "OPENAI_API_KEY (got a string of 14 characters, not shown in case it is a secret)");
  CHECK(load_ok(with_backend("api_key_env = \"_KEY_2\"\n")).backends[0].api_key_env == "_KEY_2");
}

TEST_CASE("config: a backend name must be usable as a label") {
  CHECK(problems_of(R"(
[[backends]]
name = "my backend"
base_url = "http://h"
jurisdiction = "KR"
)") == "t.toml:2: backends[0].name: must be letters, digits, '.', '_' or '-' (got \"my backend\")");
}

TEST_CASE("config: an unreadable file is one problem") {
  auto load = load_config_file("/nonexistent-sovgw/sovgw.toml");
  CHECK_FALSE(load);
  REQUIRE(load.problems.size() == 1);
  CHECK(load.problems[0] ==
        "/nonexistent-sovgw/sovgw.toml: cannot read file: No such file or directory");

  TempDir dir;
  auto dir_load = load_config_file(dir.path().string());
  REQUIRE(dir_load.problems.size() == 1);
  CHECK(dir_load.problems[0] == dir.path().string() + ": cannot read file: Is a directory");
}

TEST_CASE("config: every problem is reported at once, in line order") {
  // Reported in a different order internally: unknown keys after a table is read, missing keys
  // at the table's line, cross-references after all backends.
  CHECK(problems_of(R"(
[gateway]
wrokers = 4
max_body_bytes = "big"

[[backends]]
name = "onprem"
base_url = "ftp://x"

[[models]]
name = "m"
targets = [{ backend = "onprim", model = "a", weight = 2 }]

[extra]
)") == "t.toml:2: gateway.wrokers: unknown key (did you mean \"workers\"?)\n"
       "t.toml:3: gateway.max_body_bytes: must be an integer (got string \"big\")\n"
       "t.toml:5: backends[0].jurisdiction: required key is missing\n"
       "t.toml:7: backends[0].base_url: must be an http:// or https:// URL with a host (got "
       "\"ftp://x\")\n"
       "t.toml:11: models[0].targets[0].backend: no backend named \"onprim\" (did you mean "
       "\"onprem\"?)\n"
       "t.toml:11: models[0].targets[0].weight: unknown key\n"
       "t.toml:13: extra: unknown key");
}

TEST_CASE("config: absent keys keep the defaults") {
  auto config = load_ok("");
  CHECK(config.source_path == "t.toml");
  CHECK(config.gateway.listen.host == "127.0.0.1");
  CHECK(config.gateway.listen.port == 8080);
  CHECK(config.gateway.home_jurisdiction == "KR");
  CHECK(config.gateway.max_body_bytes == 16777216);
  CHECK(config.admin.listen.port == 9901);
  CHECK(config.backends.empty());
  CHECK(config.models.empty());
}

TEST_CASE("config: a full valid config fills every field") {
  auto config = load_ok(R"(
[gateway]
listen = "[::1]:0"
workers = 4
home_jurisdiction = "DE"
max_connections = 500
max_header_bytes = 8192
max_body_bytes = 1048576
header_timeout_ms = 1000
body_timeout_ms = 2000
idle_timeout_ms = 3000
request_timeout_ms = 4000
max_response_bytes = 2097152
drain_timeout_ms = 5000

[admin]
listen = "localhost:9000"

[[backends]]
name = "openai"
protocol = "openai"
base_url = "https://api.openai.com/v1/"
api_key_env = "OPENAI_API_KEY"
jurisdiction = "US"
connect_timeout_ms = 11
first_byte_timeout_ms = 12
stream_first_byte_timeout_ms = 13
stream_idle_timeout_ms = 14
total_timeout_ms = 15
max_connections = 16
max_idle_connections = 0
idle_connection_timeout_ms = 18

[[backends]]
name = "v6"
base_url = "https://[::1]:8443"
jurisdiction = "DE"

[[backends]]
name = "onprem"
base_url = "http://127.0.0.1:8000/v1"
jurisdiction = "DE"
local = true

[[backends]]
name = "plain"
base_url = "http://[2001:db8::1]/"
jurisdiction = "DE"

[[models]]
name = "gpt-4o"
targets = [{ backend = "openai", model = "gpt-4o-2024" }, { backend = "onprem", model = "llama" }]
)");
  const auto& g = config.gateway;
  CHECK(g.listen.host == "::1");
  CHECK(g.listen.port == 0);
  CHECK(g.listen.text == "[::1]:0");
  CHECK(g.workers == 4);
  CHECK(g.home_jurisdiction == "DE");
  CHECK(g.max_connections == 500);
  CHECK(g.max_header_bytes == 8192);
  CHECK(g.max_body_bytes == 1048576);
  CHECK(g.header_timeout_ms == 1000);
  CHECK(g.body_timeout_ms == 2000);
  CHECK(g.idle_timeout_ms == 3000);
  CHECK(g.request_timeout_ms == 4000);
  CHECK(g.max_response_bytes == 2097152);
  CHECK(g.drain_timeout_ms == 5000);
  CHECK(config.admin.listen.host == "127.0.0.1");
  CHECK(config.admin.listen.port == 9000);
  CHECK(config.admin.listen.text == "localhost:9000");

  REQUIRE(config.backends.size() == 4);
  const auto& openai = config.backends[0];
  CHECK(openai.name == "openai");
  CHECK(openai.base_url == "https://api.openai.com/v1/");
  CHECK(openai.url.tls);
  CHECK(openai.url.host == "api.openai.com");
  CHECK(openai.url.port == 443);
  CHECK(openai.url.base_path == "/v1");
  CHECK(openai.url.host_header == "api.openai.com");
  CHECK(openai.api_key_env == "OPENAI_API_KEY");
  CHECK(openai.jurisdiction == "US");
  CHECK_FALSE(openai.local);
  CHECK(openai.ca_file.empty());
  CHECK(openai.connect_timeout_ms == 11);
  CHECK(openai.first_byte_timeout_ms == 12);
  CHECK(openai.stream_first_byte_timeout_ms == 13);
  CHECK(openai.stream_idle_timeout_ms == 14);
  CHECK(openai.total_timeout_ms == 15);
  CHECK(openai.max_connections == 16);
  CHECK(openai.max_idle_connections == 0);
  CHECK(openai.idle_connection_timeout_ms == 18);

  const auto& v6 = config.backends[1].url;
  CHECK(v6.tls);
  CHECK(v6.host == "::1");
  CHECK(v6.port == 8443);
  CHECK(v6.base_path == "");
  CHECK(v6.host_header == "[::1]:8443");
  CHECK(config.backends[1].api_key_env.empty());
  CHECK(config.backends[1].connect_timeout_ms == 3000);  // default kept

  const auto& onprem = config.backends[2];
  CHECK(onprem.local);
  CHECK_FALSE(onprem.url.tls);
  CHECK(onprem.url.host == "127.0.0.1");
  CHECK(onprem.url.port == 8000);
  CHECK(onprem.url.base_path == "/v1");
  CHECK(onprem.url.host_header == "127.0.0.1:8000");

  const auto& plain = config.backends[3].url;
  CHECK(plain.host == "2001:db8::1");
  CHECK(plain.port == 80);
  CHECK(plain.base_path == "");
  CHECK(plain.host_header == "[2001:db8::1]");

  REQUIRE(config.models.size() == 1);
  const auto& targets = config.models[0].targets;
  REQUIRE(targets.size() == 2);
  CHECK(targets[0].backend == "openai");
  CHECK(targets[0].model == "gpt-4o-2024");
  CHECK(targets[0].backend_index == 0);
  CHECK(targets[1].backend == "onprem");
  CHECK(targets[1].backend_index == 2);
}

TEST_CASE("config: find_model returns the model or nullptr") {
  auto config = load_ok(with_backend(R"(
[[models]]
name = "a"
targets = [{ backend = "onprem", model = "x" }]
[[models]]
name = "b"
targets = [{ backend = "onprem", model = "y" }]
)"));
  REQUIRE(config.find_model("b") != nullptr);
  CHECK(config.find_model("b")->targets[0].model == "y");
  CHECK(config.find_model("c") == nullptr);
  CHECK(config.find_model("") == nullptr);
}

TEST_CASE("config: config.example.toml loads without problems") {
  auto load = load_config_file(SOVGW_SOURCE_DIR "/config.example.toml");
  for (const auto& problem : load.problems) FAIL_CHECK(problem);
  REQUIRE(load);
  const auto& config = *load.config;
  REQUIRE(config.backends.size() == 4);
  CHECK(config.backends[0].api_key_env == "OPENAI_API_KEY");
  CHECK(config.backends[0].jurisdiction == "US");
  CHECK(config.backends[1].protocol == sovgw::backends::Protocol::kAnthropic);
  CHECK(config.backends[1].url.host_header == "api.anthropic.com");
  CHECK(config.backends[3].local);
  CHECK(config.backends[3].url.host_header == "127.0.0.1:8000");
  const auto* model = config.find_model("gpt-4o");
  REQUIRE(model != nullptr);
  REQUIRE(model->targets.size() == 3);
  CHECK(model->targets[2].backend_index == 3);
  const auto* claude = config.find_model("claude-sonnet");
  REQUIRE(claude != nullptr);
  CHECK(claude->targets[0].backend_index == 1);
  CHECK(claude->default_max_tokens == 4096);
}
