// ResponseCache over a real RocksDB in a temp dir: fresh / stale / expired by an injected
// clock, clearing by tenant, model and all, persistence across reopen, the size cap, the async
// API (RocksDB work on the cache's pool, the caller resumed on its own thread) and open failures.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "cache/response_cache.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace json = boost::json;
namespace net = boost::asio;
using namespace std::chrono_literals;
using sovgw::cache::AnswerKind;
using sovgw::cache::CacheKey;
using sovgw::cache::CacheOptions;
using sovgw::cache::ResponseCache;
using sovgw::testing::TempDir;
using Clock = std::chrono::system_clock;

// A wall clock the test moves by hand.
struct ManualClock {
  std::atomic<std::int64_t> seconds{1'700'000'000};
  std::atomic<std::thread::id> last_caller{};
  std::function<Clock::time_point()> function() {
    return [this] {
      last_caller.store(std::this_thread::get_id());
      return Clock::time_point(std::chrono::seconds(seconds.load()));
    };
  }
};

CacheKey key(std::string_view tenant, std::string_view model, int i) {
  auto made = sovgw::cache::make_cache_key(tenant, model, "/chat/completions", json::object{{"i", i}});
  REQUIRE(made);
  return *made;
}

std::string body(int i) { return R"({"id":"chatcmpl-)" + std::to_string(i) + R"(","choices":[]})"; }

std::unique_ptr<ResponseCache> open_cache(CacheOptions options) {
  auto opened = ResponseCache::open(std::move(options));
  if (!opened) FAIL(opened.error().detail);
  return std::move(*opened);
}

CacheOptions options_in(const TempDir& dir, ManualClock& clock) {
  CacheOptions options;
  options.path = dir.file("cache");
  options.ttl = 60s;
  options.stale_if_error = 600s;
  options.clock = clock.function();
  return options;
}

}  // namespace

TEST_CASE("response cache: stored answers are fresh, then stale, then gone") {
  TempDir dir("sovgw-cache");
  ManualClock clock;
  auto cache = open_cache(options_in(dir, clock));
  const auto k = key("acme", "gpt-4o", 1);
  CHECK_FALSE(cache->lookup_blocking(k));
  REQUIRE(cache->store_blocking(k, AnswerKind::kChatCompletion, body(1)));
  const auto stored_at = Clock::time_point(std::chrono::seconds(clock.seconds.load()));

  auto found = cache->lookup_blocking(k);
  REQUIRE(found);
  CHECK(found->fresh);
  CHECK(found->body == body(1));
  CHECK(found->kind == AnswerKind::kChatCompletion);
  CHECK(found->stored_at == stored_at);

  clock.seconds += 60;  // exactly ttl: still fresh
  REQUIRE(cache->lookup_blocking(k));
  CHECK(cache->lookup_blocking(k)->fresh);
  clock.seconds += 1;  // past ttl: only good for stale-if-error
  REQUIRE(cache->lookup_blocking(k));
  CHECK_FALSE(cache->lookup_blocking(k)->fresh);
  clock.seconds = clock.seconds.load() - 61 + 600;  // exactly stale_if_error
  CHECK(cache->lookup_blocking(k));
  clock.seconds += 1;
  CHECK_FALSE(cache->lookup_blocking(k));

  // Storing again restarts the clock for that entry.
  REQUIRE(cache->store_blocking(k, AnswerKind::kChatCompletion, body(2)));
  REQUIRE(cache->lookup_blocking(k));
  CHECK(cache->lookup_blocking(k)->fresh);
  CHECK(cache->lookup_blocking(k)->body == body(2));

  const auto stats = cache->stats_blocking();
  CHECK(stats.hits == 6);
  CHECK(stats.stale_found == 3);
  CHECK(stats.misses == 2);
  CHECK(stats.stores == 2);
  CHECK(stats.errors == 0);
  CHECK(stats.entries >= 1);
  CHECK(stats.bytes > 0);
  CHECK(stats.compression == "LZ4");
}

TEST_CASE("response cache: without stale-if-error an entry is gone after ttl") {
  TempDir dir("sovgw-cache");
  ManualClock clock;
  auto options = options_in(dir, clock);
  options.stale_if_error = 0s;
  auto cache = open_cache(options);
  const auto k = key("acme", "m", 1);
  REQUIRE(cache->store_blocking(k, AnswerKind::kRawJson, "{}"));
  clock.seconds += 61;
  CHECK_FALSE(cache->lookup_blocking(k));
}

TEST_CASE("response cache: a clock that goes back does not expire entries") {
  TempDir dir("sovgw-cache");
  ManualClock clock;
  auto cache = open_cache(options_in(dir, clock));
  const auto k = key("acme", "m", 1);
  REQUIRE(cache->store_blocking(k, AnswerKind::kRawJson, "{}"));
  clock.seconds -= 3600;
  REQUIRE(cache->lookup_blocking(k));
  CHECK(cache->lookup_blocking(k)->fresh);
}

TEST_CASE("response cache: clear by tenant, by model, and all") {
  TempDir dir("sovgw-cache");
  ManualClock clock;
  auto cache = open_cache(options_in(dir, clock));
  // "acme" and "acme2" share a prefix: clearing one must not touch the other.
  for (const char* tenant : {"acme", "acme2", "globex"}) {
    for (const char* model : {"gpt-4o", "llama"}) {
      for (int i = 0; i < 3; ++i) REQUIRE(cache->store_blocking(key(tenant, model, i), AnswerKind::kRawJson, body(i)));
    }
  }
  auto cleared = cache->clear_tenant_blocking("acme");
  REQUIRE(cleared);
  CHECK(*cleared == 6);
  CHECK_FALSE(cache->lookup_blocking(key("acme", "gpt-4o", 0)));
  CHECK_FALSE(cache->lookup_blocking(key("acme", "llama", 2)));
  CHECK(cache->lookup_blocking(key("acme2", "gpt-4o", 0)));

  cleared = cache->clear_model_blocking("llama");
  REQUIRE(cleared);
  CHECK(*cleared == 6);  // acme2 and globex
  CHECK_FALSE(cache->lookup_blocking(key("globex", "llama", 1)));
  CHECK(cache->lookup_blocking(key("globex", "gpt-4o", 1)));
  CHECK(*cache->clear_model_blocking("nothing") == 0);
  CHECK(*cache->clear_tenant_blocking(std::string("a\0", 2)) == 0);

  REQUIRE(cache->clear_blocking());
  CHECK_FALSE(cache->lookup_blocking(key("globex", "gpt-4o", 1)));
  CHECK_FALSE(cache->lookup_blocking(key("acme2", "gpt-4o", 2)));
  // Still usable after clearing everything, and across a reopen.
  REQUIRE(cache->store_blocking(key("acme", "gpt-4o", 9), AnswerKind::kRawJson, body(9)));
  CHECK(cache->lookup_blocking(key("acme", "gpt-4o", 9)));
  cache.reset();
  cache = open_cache(options_in(dir, clock));
  CHECK(cache->lookup_blocking(key("acme", "gpt-4o", 9)));
  CHECK_FALSE(cache->lookup_blocking(key("globex", "gpt-4o", 1)));
}

TEST_CASE("response cache: entries survive closing and reopening") {
  TempDir dir("sovgw-cache");
  ManualClock clock;
  {
    auto cache = open_cache(options_in(dir, clock));
    for (int i = 0; i < 100; ++i) REQUIRE(cache->store_blocking(key("acme", "m", i), AnswerKind::kChatCompletion, body(i)));
  }
  auto cache = open_cache(options_in(dir, clock));
  for (int i = 0; i < 100; ++i) {
    auto found = cache->lookup_blocking(key("acme", "m", i));
    REQUIRE(found);
    CHECK(found->body == body(i));
  }
  cache->close();
  CHECK_FALSE(cache->lookup_blocking(key("acme", "m", 0)));
  CHECK_FALSE(cache->store_blocking(key("acme", "m", 0), AnswerKind::kRawJson, "{}"));
  cache->close();  // idempotent
}

TEST_CASE("response cache: the async API runs RocksDB off the caller's thread and resumes on it") {
  TempDir dir("sovgw-cache");
  ManualClock clock;
  auto cache = open_cache(options_in(dir, clock));
  net::io_context io;
  const auto io_thread = std::this_thread::get_id();
  bool stored = false;
  std::optional<sovgw::cache::CachedAnswer> found;
  std::thread::id resumed_on;
  std::thread::id worked_on;
  std::uint64_t cleared = 99;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        stored = co_await cache->store(key("acme", "m", 1), AnswerKind::kChatCompletion, body(1));
        worked_on = clock.last_caller.load();
        found = co_await cache->lookup(key("acme", "m", 1));
        resumed_on = std::this_thread::get_id();
        auto stats = co_await cache->stats();
        CHECK(stats.stores == 1);
        auto result = co_await cache->clear_tenant("acme");
        if (result) cleared = *result;
      },
      net::detached);
  io.run();
  CHECK(stored);
  REQUIRE(found);
  CHECK(found->body == body(1));
  CHECK(resumed_on == io_thread);
  CHECK(worked_on != io_thread);
  CHECK(cleared == 1);
}

TEST_CASE("response cache: the size cap drops the oldest entries") {
  TempDir dir("sovgw-cache");
  CacheOptions options;
  options.path = dir.file("cache");
  options.max_bytes = 2 * 1024 * 1024;
  auto cache = open_cache(options);
  // Incompressible bodies, 16 MiB in all: eight times the cap.
  std::uint64_t state = 88172645463325252ULL;
  auto random_body = [&] {
    std::string text(8192, ' ');
    for (auto& c : text) {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      c = static_cast<char>('a' + state % 26);
    }
    return text;
  };
  for (int i = 0; i < 2048; ++i) REQUIRE(cache->store_blocking(key("acme", "m", i), AnswerKind::kRawJson, random_body()));
  // Compaction runs in the background: wait for the oldest entry to go, under a deadline.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (cache->lookup_blocking(key("acme", "m", 0)) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK_FALSE(cache->lookup_blocking(key("acme", "m", 0)));
  CHECK(cache->lookup_blocking(key("acme", "m", 2047)));
  CHECK(cache->stats_blocking().bytes < 8 * options.max_bytes);
}

TEST_CASE("response cache: open fails clearly on a bad path or a database in use") {
  TempDir dir("sovgw-cache");
  const auto file = dir.write("not-a-dir", "x");
  CacheOptions options;
  options.path = file + "/cache";
  auto bad = ResponseCache::open(options);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().detail.find("cannot create cache directory") != std::string::npos);

  options.path = dir.file("cache");
  auto first = ResponseCache::open(options);
  REQUIRE(first);
  auto second = ResponseCache::open(options);
  REQUIRE_FALSE(second);
  CHECK(second.error().detail.find("cannot open cache database") != std::string::npos);
}
