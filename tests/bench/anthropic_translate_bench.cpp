// Cost of Anthropic ↔ OpenAI translation with Google Benchmark: per streamed event each way
// against the per-chunk inspection a pass-through relay already does, and per whole request and
// response. Run by hand (tests/bench/README.md):
//   build/tests/anthropic_translate_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <string>

#include "backends/anthropic_to_openai_stream.hpp"
#include "backends/anthropic_translate.hpp"
#include "backends/openai_chunk.hpp"
#include "backends/openai_to_anthropic_stream.hpp"

namespace {

using namespace sovgw::backends;

constexpr std::string_view kAnthropicStart =
    R"({"type":"message_start","message":{"id":"msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK","type":"message","role":"assistant","content":[],"model":"claude-3-opus-latest","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":11,"output_tokens":1}}})";
constexpr std::string_view kAnthropicTextDelta =
    R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there, how"}})";
constexpr std::string_view kOpenAiTextChunk =
    R"({"id":"chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_7568d46099","choices":[{"index":0,"delta":{"content":" there, how"},"logprobs":null,"finish_reason":null}]})";

// Baseline: what the relay does per chunk when client and backend speak the same protocol.
void BM_PassThroughInspect(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(inspect_chunk(kOpenAiTextChunk));
}
BENCHMARK(BM_PassThroughInspect);

void BM_AnthropicToOpenAiTextEvent(benchmark::State& state) {
  AnthropicToOpenAiStream t({.model = "gpt-4o", .created = 1727346171, .include_usage = true});
  std::string out;
  (void)t.feed("message_start", kAnthropicStart, out);
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(t.feed("content_block_delta", kAnthropicTextDelta, out));
  }
}
BENCHMARK(BM_AnthropicToOpenAiTextEvent);

void BM_OpenAiToAnthropicTextChunk(benchmark::State& state) {
  OpenAiToAnthropicStream t({.model = "claude-x", .id = ""});
  std::string out;
  (void)t.feed(kOpenAiTextChunk, out);
  for (auto _ : state) {
    out.clear();
    benchmark::DoNotOptimize(t.feed(kOpenAiTextChunk, out));
  }
}
BENCHMARK(BM_OpenAiToAnthropicTextChunk);

constexpr std::string_view kOpenAiRequest =
    R"({"model":"gpt-4o","messages":[{"role":"system","content":"You are a bank assistant."},{"role":"user","content":"What is my balance and what were the last three card payments on my current account?"}],"max_tokens":300,"temperature":0.2,"stream":true,"stream_options":{"include_usage":true}})";
constexpr std::string_view kAnthropicResponse =
    R"({"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Your balance is 1,204.50 EUR. The last three card payments were 12.30, 48.00 and 5.20 EUR."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":91}})";

void BM_OpenAiRequestToAnthropic(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(openai_request_to_anthropic(kOpenAiRequest, {.model = "claude", .default_max_tokens = 4096}));
  }
}
BENCHMARK(BM_OpenAiRequestToAnthropic);

void BM_AnthropicResponseToOpenAi(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(anthropic_response_to_openai(kAnthropicResponse, "gpt-4o", 1));
}
BENCHMARK(BM_AnthropicResponseToOpenAi);

}  // namespace
