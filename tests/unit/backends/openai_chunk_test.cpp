// What a stream chunk means for relaying and failover, and how chunks are rewritten when a
// continuation is spliced into a stream already begun.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "backends/openai_chunk.hpp"

using sovgw::backends::ChunkKind;
using sovgw::backends::inspect_chunk;

TEST_CASE("keep-alives and role-only chunks are not progress; text, tool calls and finish are") {
  struct Row {
    const char* data;
    ChunkKind kind;
  };
  const Row rows[] = {
      {"[DONE]", ChunkKind::kDone},
      {R"({"id":"c","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
       ChunkKind::kNoProgress},
      {R"({"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}})",
       ChunkKind::kNoProgress},
      {R"({"id":"c","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]})", ChunkKind::kProgress},
      {R"({"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})", ChunkKind::kProgress},
      {R"({"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","function":{"name":"f","arguments":""}}]}}]})",
       ChunkKind::kProgress},
      {R"({"id":"c","object":"text_completion","choices":[{"index":0,"text":"Hi","finish_reason":null}]})",
       ChunkKind::kProgress},
      {R"({"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}})",
       ChunkKind::kError},
      {"{not json", ChunkKind::kMalformed},
      {"[1,2]", ChunkKind::kMalformed},
  };
  for (const auto& row : rows) {
    CAPTURE(row.data);
    CHECK(inspect_chunk(row.data).kind == row.kind);
  }
}

TEST_CASE("choice 0's text, finish and the flags that forbid a continuation are reported") {
  auto text = inspect_chunk(R"({"choices":[{"index":0,"delta":{"content":"안녕"},"finish_reason":"length"}]})");
  CHECK(text.content == "안녕");
  CHECK(text.finished);
  CHECK_FALSE(text.tool_call);
  auto tool = inspect_chunk(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]}}]})");
  CHECK(tool.tool_call);
  auto two = inspect_chunk(R"({"choices":[{"index":1,"delta":{"content":"x"}}]})");
  CHECK(two.other_choice);
  CHECK(two.content.empty());
}

TEST_CASE("a spliced chunk takes the stream's id and, when given, new text") {
  const std::string rest = " brown fox";
  auto event = sovgw::backends::rewrite_chunk(
      R"({"id":"chatcmpl-B","model":"qwen","choices":[{"index":0,"delta":{"content":"quick brown fox"}}]})",
      "chatcmpl-A", &rest);
  REQUIRE(event.starts_with("data: "));
  REQUIRE(event.ends_with("\n\n"));
  auto json = boost::json::parse(event.substr(6));
  CHECK(json.at("id").as_string() == "chatcmpl-A");
  CHECK(json.at("model").as_string() == "qwen");  // the model that actually answered
  CHECK(json.at("choices").at(0).at("delta").at("content").as_string() == " brown fox");
  CHECK(sovgw::backends::chunk_id(R"({"id":"x1"})") == "x1");
  CHECK(sovgw::backends::rewrite_chunk("nope", "id").empty());
}
