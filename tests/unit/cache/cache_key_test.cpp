// CacheKey: the same request written differently gives the same key; anything that can change
// the answer (any parameter, the tenant, the model, the API) gives another; stream flags and the
// end-user id do not count.
#include <doctest/doctest.h>

#include <string>

#include <boost/json.hpp>

#include "cache/cache_key.hpp"

namespace {

namespace json = boost::json;
using sovgw::cache::canonical_request_json;
using sovgw::cache::CacheKey;
using sovgw::cache::make_cache_key;

constexpr const char* kRequest = R"({
  "model": "gpt-4o",
  "temperature": 0,
  "messages": [
    {"role": "system", "content": "You classify loan applications."},
    {"role": "user", "content": "Income 5,000,000 KRW, debt 1,000,000 KRW. Risk?"}
  ],
  "max_tokens": 64,
  "response_format": {"type": "json_object"}
})";

json::object parse(std::string_view text) { return json::parse(text).as_object(); }

CacheKey key_of(std::string_view body, std::string_view tenant = "acme", std::string_view model = "gpt-4o",
                std::string_view api = "/chat/completions") {
  auto key = make_cache_key(tenant, model, api, parse(body));
  REQUIRE(key);
  return *key;
}

// The request with one top-level field set to `value` (JSON text).
std::string with_field(std::string_view name, std::string_view value) {
  auto body = parse(kRequest);
  body[name] = json::parse(value);
  return json::serialize(body);
}

}  // namespace

TEST_CASE("cache key: reordered keys and whitespace give the same key") {
  const std::string reordered = R"({"response_format":{"type":"json_object"},"max_tokens":64,
      "messages":[{"content":"You classify loan applications.","role":"system"},
                  {"content":"Income 5,000,000 KRW, debt 1,000,000 KRW. Risk?","role":"user"}],
      "temperature":0,    "model":"gpt-4o"})";
  CHECK(key_of(kRequest) == key_of(reordered));
  CHECK(canonical_request_json(parse(kRequest)) == canonical_request_json(parse(reordered)));
}

TEST_CASE("cache key: canonical JSON sorts keys recursively and drops whitespace") {
  auto canonical = canonical_request_json(parse(R"({ "b": {"z": 1, "a": [ {"y": true, "x": null} ]}, "a": "\u00e9" })"));
  CHECK(canonical == "{\"a\":\"\xC3\xA9\",\"b\":{\"a\":[{\"x\":null,\"y\":true}],\"z\":1}}");
}

TEST_CASE("cache key: stream, stream_options and user do not change the key") {
  const auto base = key_of(kRequest);
  CHECK(key_of(with_field("stream", "true")) == base);
  CHECK(key_of(with_field("stream", "false")) == base);
  CHECK(key_of(with_field("stream_options", R"({"include_usage": true})")) == base);
  CHECK(key_of(with_field("user", R"("employee-42")")) == base);
}

TEST_CASE("cache key: any parameter change gives a new key") {
  const auto base = key_of(kRequest);
  const std::pair<const char*, const char*> changes[] = {
      {"temperature", "0.0"},  // written differently: a (harmless) miss, never a wrong hit
      {"temperature", "0.2"},
      {"max_tokens", "65"},
      {"seed", "7"},
      {"top_p", "0.5"},
      {"model", R"("gpt-4o-mini")"},
      {"response_format", R"({"type": "text"})"},
      {"tools", R"([{"type": "function", "function": {"name": "f"}}])"},
      {"messages", R"([{"role": "user", "content": "Income 5,000,000 KRW, debt 1,000,000 KRW. Risk!"}])"},
      {"unknown_future_field", "1"},
  };
  for (const auto& [name, value] : changes) {
    CAPTURE(name);
    CAPTURE(value);
    CHECK_FALSE(key_of(with_field(name, value)) == base);
  }
  // A nested ignored name is a real field: only top-level stream/user are ignored.
  CHECK_FALSE(key_of(with_field("response_format", R"({"type": "json_object", "user": "x"})")) == base);
}

TEST_CASE("cache key: another tenant, model name or API gives a new key") {
  const auto base = key_of(kRequest);
  CHECK_FALSE(key_of(kRequest, "globex") == base);
  CHECK_FALSE(key_of(kRequest, "acme", "other-model") == base);
  CHECK_FALSE(key_of(kRequest, "acme", "gpt-4o", "/completions") == base);
  // Fields cannot run into each other: ("ab", "c") is not ("a", "bc").
  CHECK_FALSE(key_of(kRequest, "ab", "c") == key_of(kRequest, "a", "bc"));
}

TEST_CASE("cache key: db_key is tenant, model, digest; unusable names give no key") {
  const auto key = key_of(kRequest);
  const auto db_key = key.db_key();
  CHECK(db_key.size() == 4 + 1 + 6 + 1 + 32);
  CHECK(db_key.substr(0, 12) == std::string("acme\0gpt-4o\0", 12));
  CHECK(key.digest_hex().size() == 64);
  const auto body = parse(kRequest);
  CHECK_FALSE(make_cache_key("", "gpt-4o", "/chat/completions", body));
  CHECK_FALSE(make_cache_key(std::string("a\0b", 3), "gpt-4o", "/chat/completions", body));
  CHECK_FALSE(make_cache_key("acme", std::string("m\0", 2), "/chat/completions", body));
}
