// Response cache costs on the request path (Google Benchmark): the key of a 4 KB chat request,
// RocksDB lookups (hit, miss) and stores of a ~1.5 KB answer, the same lookup through the async
// API (a hop to the cache's pool and back), and replaying a hit as SSE or JSON.
//
//   ./cache_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "cache/cache_key.hpp"
#include "cache/response_cache.hpp"
#include "cache/sse_replay.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace json = boost::json;
namespace net = boost::asio;
using sovgw::cache::AnswerKind;
using sovgw::cache::CacheKey;
using sovgw::cache::ResponseCache;

constexpr int kEntries = 20000;

// A 4 KB chat request: a system prompt, a few turns, tools, sampling parameters.
std::string chat_request_4k() {
  json::array messages;
  messages.push_back(json::object{{"role", "system"},
                                  {"content", "You are a loan officer's assistant. Classify each application as low, "
                                              "medium or high risk and give a one-line reason."}});
  std::string turn = "Applicant: 34 years old, salaried, income 5,200,000 KRW per month, existing debt "
                     "12,000,000 KRW, requested 30,000,000 KRW over 36 months, no missed payments. ";
  while (json::serialize(messages).size() < 3700) {
    messages.push_back(json::object{{"role", "user"}, {"content", turn}});
    messages.push_back(json::object{{"role", "assistant"}, {"content", "Medium risk: debt-to-income is moderate."}});
  }
  json::object body{{"model", "gpt-4o"},
                    {"messages", std::move(messages)},
                    {"temperature", 0},
                    {"max_tokens", 256},
                    {"top_p", 1},
                    {"seed", 42},
                    {"response_format", json::object{{"type", "json_object"}}},
                    {"tools", json::array{json::object{
                                  {"type", "function"},
                                  {"function", json::object{{"name", "credit_score"},
                                                            {"parameters", json::object{{"type", "object"}}}}}}}},
                    {"stream", true}};
  return json::serialize(body);
}

const std::string& answer_body() {
  static const std::string body = [] {
    std::string content;
    while (content.size() < 1200) content += "Medium risk: debt-to-income is moderate, repayment history is clean. ";
    return json::serialize(json::object{
        {"id", "chatcmpl-abc"},
        {"object", "chat.completion"},
        {"created", 1700000000},
        {"model", "gpt-4o-2024-08-06"},
        {"choices", json::array{json::object{{"index", 0},
                                             {"message", json::object{{"role", "assistant"}, {"content", content}}},
                                             {"logprobs", nullptr},
                                             {"finish_reason", "stop"}}}},
        {"usage", json::object{{"prompt_tokens", 900}, {"completion_tokens", 260}, {"total_tokens", 1160}}}});
  }();
  return body;
}

CacheKey key(int i) { return *sovgw::cache::make_cache_key("acme", "gpt-4o", "/chat/completions", json::object{{"i", i}}); }

// One filled cache shared by the lookup benchmarks.
struct Filled {
  sovgw::testing::TempDir dir{"sovgw-cache-bench"};
  std::unique_ptr<ResponseCache> cache;
  std::vector<CacheKey> keys;
  Filled() {
    sovgw::cache::CacheOptions options;
    options.path = dir.file("cache");
    auto opened = ResponseCache::open(options);
    if (!opened) throw std::runtime_error(opened.error().detail);
    cache = std::move(*opened);
    for (int i = 0; i < kEntries; ++i) {
      keys.push_back(key(i));
      cache->store_blocking(keys.back(), AnswerKind::kChatCompletion, answer_body());
    }
  }
};

Filled& filled() {
  static Filled instance;
  return instance;
}

void BM_KeyOfParsedRequest(benchmark::State& state) {
  const auto text = chat_request_4k();
  const auto body = json::parse(text).as_object();
  for (auto _ : state) {
    auto k = sovgw::cache::make_cache_key("acme", "gpt-4o", "/chat/completions", body);
    benchmark::DoNotOptimize(k);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["request_bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_KeyOfParsedRequest);

void BM_ParseAndKey(benchmark::State& state) {
  const auto text = chat_request_4k();
  for (auto _ : state) {
    auto body = json::parse(text);
    auto k = sovgw::cache::make_cache_key("acme", "gpt-4o", "/chat/completions", body.as_object());
    benchmark::DoNotOptimize(k);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseAndKey);

void BM_LookupHit(benchmark::State& state) {
  auto& f = filled();
  std::mt19937 rng(1);
  for (auto _ : state) {
    auto found = f.cache->lookup_blocking(f.keys[rng() % kEntries]);
    if (!found) state.SkipWithError("expected a hit");
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_LookupHit);

void BM_LookupMiss(benchmark::State& state) {
  auto& f = filled();
  int i = kEntries;
  for (auto _ : state) {
    auto found = f.cache->lookup_blocking(key(++i));
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_LookupMiss);

void BM_Store(benchmark::State& state) {
  auto& f = filled();
  int i = 1'000'000;
  for (auto _ : state) {
    state.PauseTiming();
    auto k = key(++i);
    state.ResumeTiming();
    benchmark::DoNotOptimize(f.cache->store_blocking(k, AnswerKind::kChatCompletion, answer_body()));
  }
}
BENCHMARK(BM_Store);

// The path a request takes: co_await lookup on an I/O thread, RocksDB on the pool, resume.
void BM_LookupHitAsync(benchmark::State& state) {
  auto& f = filled();
  net::io_context io(1);
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        std::mt19937 rng(2);
        for (auto _ : state) {
          auto found = co_await f.cache->lookup(f.keys[rng() % kEntries]);
          if (!found) state.SkipWithError("expected a hit");
        }
      },
      net::detached);
  io.run();
}
BENCHMARK(BM_LookupHitAsync)->UseRealTime();

void BM_ReplaySse(benchmark::State& state) {
  const sovgw::cache::CachedAnswer answer{AnswerKind::kChatCompletion, answer_body(), {}, true};
  sovgw::cache::ReplayOptions options;
  options.include_usage = true;
  for (auto _ : state) benchmark::DoNotOptimize(sovgw::cache::replay_sse(answer, options));
}
BENCHMARK(BM_ReplaySse);

void BM_ReplayJson(benchmark::State& state) {
  const sovgw::cache::CachedAnswer answer{AnswerKind::kChatCompletion, answer_body(), {}, true};
  for (auto _ : state) benchmark::DoNotOptimize(sovgw::cache::replay_json(answer));
}
BENCHMARK(BM_ReplayJson);

}  // namespace
