// decide_caching: the cacheability table — which requests are looked up, which answers stored,
// and the reason word for each.
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include <boost/json.hpp>

#include "cache/cache_decision.hpp"

namespace {

namespace json = boost::json;
using sovgw::cache::CacheApi;
using sovgw::cache::CacheDecision;
using sovgw::cache::CacheRequest;
using sovgw::cache::decide_caching;

struct Row {
  const char* name;
  CacheApi api;
  const char* body;
  const char* header;
  const char* cache_control;
  std::optional<bool> model_cache;
  bool pseudonymized;
  bool lookup;
  bool store;
  const char* reason;
};

constexpr auto kChat = CacheApi::kChat;
constexpr auto kText = CacheApi::kCompletions;
constexpr auto kEmbed = CacheApi::kEmbeddings;
constexpr std::optional<bool> kUnset;

const Row kRows[] = {
    {"temperature 0", kChat, R"({"temperature":0})", "", "", kUnset, false, true, true, "temperature_zero"},
    {"temperature 0.0", kChat, R"({"temperature":0.0})", "", "", kUnset, false, true, true, "temperature_zero"},
    {"temperature 0 streamed", kChat, R"({"temperature":0,"stream":true})", "", "", kUnset, false, true, true,
     "temperature_zero"},
    {"temperature absent", kChat, R"({})", "", "", kUnset, false, false, false, "not_deterministic"},
    {"temperature 0.7", kChat, R"({"temperature":0.7})", "", "", kUnset, false, false, false, "not_deterministic"},
    {"temperature as string", kChat, R"({"temperature":"0"})", "", "", kUnset, false, false, false,
     "not_deterministic"},
    {"client opts in", kChat, R"({"temperature":0.7})", "on", "", kUnset, false, true, true, "client_on"},
    {"client opts in, any case", kChat, R"({})", " ON ", "", kUnset, false, true, true, "client_on"},
    {"client opts out", kChat, R"({"temperature":0})", "off", "", kUnset, false, false, false, "client_off"},
    {"unknown header value ignored", kChat, R"({"temperature":0})", "maybe", "", kUnset, false, true, true,
     "temperature_zero"},
    {"no-store", kChat, R"({"temperature":0})", "", "no-store", kUnset, false, false, false, "no_store"},
    {"no-store beats opt-in", kChat, R"({"temperature":0})", "on", "max-age=0, No-Store", kUnset, false, false,
     false, "no_store"},
    {"no-cache: store only", kChat, R"({"temperature":0})", "", "no-cache", kUnset, false, false, true, "no_cache"},
    {"no-cache on uncacheable", kChat, R"({"temperature":1})", "", "no-cache", kUnset, false, false, false,
     "not_deterministic"},
    {"model cache = false", kChat, R"({"temperature":0})", "on", "", false, false, false, false, "model_off"},
    {"model cache = true", kChat, R"({"temperature":0.9})", "", "", true, false, true, true, "model_on"},
    {"n = 2", kChat, R"({"temperature":0,"n":2})", "on", "", true, false, false, false, "several_choices"},
    {"n = 1", kChat, R"({"temperature":0,"n":1})", "", "", kUnset, false, true, true, "temperature_zero"},
    {"pseudonymized", kChat, R"({"temperature":0})", "on", "", kUnset, true, false, false, "pseudonymized"},
    {"completions", kText, R"({"temperature":0})", "", "", kUnset, false, true, true, "temperature_zero"},
    {"completions streamed", kText, R"({"temperature":0,"stream":true})", "on", "", kUnset, false, false, false,
     "stream_unsupported"},
    {"embeddings", kEmbed, R"({"input":"x"})", "", "", kUnset, false, true, true, "deterministic_api"},
    {"embeddings, model off", kEmbed, R"({"input":"x"})", "", "", false, false, false, false, "model_off"},
};

}  // namespace

TEST_CASE("cache decision: the cacheability table") {
  for (const auto& row : kRows) {
    CAPTURE(row.name);
    const auto body = json::parse(row.body).as_object();
    CacheRequest request;
    request.api = row.api;
    request.body = &body;
    request.cache_header = row.header;
    request.cache_control = row.cache_control;
    request.model_cache = row.model_cache;
    request.pseudonymized = row.pseudonymized;
    const CacheDecision decision = decide_caching(request);
    CHECK(decision.lookup == row.lookup);
    CHECK(decision.store == row.store);
    CHECK(decision.reason == row.reason);
  }
}
