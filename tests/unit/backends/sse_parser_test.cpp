// SseParser tests: the verbatim OpenAI and Anthropic recordings (provider-wire-formats.md §8.1, §8.2)
// parse to the same events however the bytes are split; line endings, comments, BOM and limits.
#include "backends/sse_parser.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace sovgw::backends {
namespace {

// The recordings exactly as printed in the reference, plus the blank line that ends the last event
// (a markdown code block cannot show it).
const std::string kOpenAiRecording = std::string(R"SSE(data: {"id":"chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_7568d46099","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_7568d46099","choices":[{"index":0,"delta":{"content":"{\""},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_7568d46099","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}

data: {"id":"chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh","object":"chat.completion.chunk","created":1727346171,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_7568d46099","choices":[],"usage":{"prompt_tokens":79,"completion_tokens":1,"total_tokens":80,"completion_tokens_details":{"reasoning_tokens":0}}}

data: [DONE]
)SSE") + "\n";
const std::string kAnthropicRecording = std::string(R"SSE(event: message_start
data: {"type":"message_start","message":{"id":"msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK","type":"message","role":"assistant","content":[],"model":"claude-3-opus-latest","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":11,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":6}}

event: message_stop
data: {"type":"message_stop"}
)SSE") + "\n";

struct Ev {
  std::string raw, event, data, id;
  bool has_data = false;
  bool operator==(const Ev&) const = default;
};

struct Parsed {
  std::vector<Ev> events;
  std::size_t pending = 0;
  bool ok = true;
  bool operator==(const Parsed&) const = default;
};

Parsed parse_pieces(const std::vector<std::string_view>& pieces, std::size_t max = 4 * 1024 * 1024) {
  SseParser p(max);
  Parsed out;
  for (auto piece : pieces) {
    out.ok = p.feed(piece, [&](const SseEvent& e) {
      out.events.push_back(Ev{std::string(e.raw), e.event, e.data, e.id, e.has_data});
    });
    if (!out.ok) break;
  }
  out.pending = p.pending_bytes();
  return out;
}

Parsed parse_whole(std::string_view s) { return parse_pieces({s}); }

Parsed parse_split(std::string_view s, std::size_t at) { return parse_pieces({s.substr(0, at), s.substr(at)}); }

Parsed parse_bytewise(std::string_view s) {
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0; i < s.size(); ++i) pieces.push_back(s.substr(i, 1));
  return parse_pieces(pieces);
}

// Feeds `s` split at every byte boundary, at every pair of boundaries `stride` apart, and byte by
// byte; every result must equal the whole-stream parse.
void check_split_invariant(std::string_view s) {
  const Parsed whole = parse_whole(s);
  for (std::size_t at = 0; at <= s.size(); ++at) {
    INFO("split at " << at);
    REQUIRE(parse_split(s, at) == whole);
  }
  for (std::size_t stride : {2u, 3u, 7u, 64u}) {
    for (std::size_t at = 0; at + stride <= s.size(); ++at) {
      INFO("three pieces at " << at << " stride " << stride);
      REQUIRE(parse_pieces({s.substr(0, at), s.substr(at, stride), s.substr(at + stride)}) == whole);
    }
  }
  REQUIRE(parse_bytewise(s) == whole);
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

std::string concat_raw(const Parsed& p) {
  std::string all;
  for (const auto& e : p.events) all += e.raw;
  return all;
}

TEST_CASE("OpenAI recording: five data events ending in [DONE]") {
  Parsed p = parse_whole(kOpenAiRecording);
  REQUIRE(p.ok);
  REQUIRE(p.events.size() == 5);
  for (const auto& e : p.events) {
    CHECK(e.has_data);
    CHECK(e.event.empty());
    CHECK(e.id.empty());
  }
  CHECK(p.events[0].data.starts_with(R"({"id":"chatcmpl-ABfw3Oqj8RD0z6aJiiX37oTjV2HFh")"));
  CHECK(p.events[1].data.find(R"("delta":{"content":"{\""})") != std::string::npos);
  CHECK(p.events[2].data.find(R"("finish_reason":"length")") != std::string::npos);
  CHECK(p.events[3].data.find(R"("total_tokens":80)") != std::string::npos);
  CHECK(p.events[4].data == "[DONE]");
  CHECK(p.events[4].raw == "data: [DONE]\n\n");
  CHECK(concat_raw(p) == kOpenAiRecording);
  CHECK(p.pending == 0);
}

TEST_CASE("Anthropic recording: event names and data") {
  Parsed p = parse_whole(kAnthropicRecording);
  REQUIRE(p.ok);
  const std::vector<std::string> names = {"message_start",       "content_block_start", "ping",
                                          "content_block_delta", "content_block_delta", "content_block_delta",
                                          "content_block_stop",  "message_delta",       "message_stop"};
  REQUIRE(p.events.size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(p.events[i].event == names[i]);
    CHECK(p.events[i].has_data);
    CHECK(p.events[i].data.find("\"type\":") != std::string::npos);
  }
  CHECK(p.events[2].data == R"({"type": "ping"})");
  CHECK(p.events[8].raw == "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  CHECK(concat_raw(p) == kAnthropicRecording);
  CHECK(p.pending == 0);
}

TEST_CASE("recordings parse the same split at every byte boundary") {
  SUBCASE("OpenAI") { check_split_invariant(kOpenAiRecording); }
  SUBCASE("Anthropic") { check_split_invariant(kAnthropicRecording); }
}

TEST_CASE("CRLF line endings: same fields, raw keeps the CRLFs, split anywhere") {
  for (const std::string* rec : {&kOpenAiRecording, &kAnthropicRecording}) {
    std::string crlf = replace_all(*rec, "\n", "\r\n");
    Parsed lf = parse_whole(*rec);
    Parsed p = parse_whole(crlf);
    REQUIRE(p.events.size() == lf.events.size());
    for (std::size_t i = 0; i < p.events.size(); ++i) {
      CHECK(p.events[i].data == lf.events[i].data);
      CHECK(p.events[i].event == lf.events[i].event);
      CHECK(p.events[i].raw == replace_all(lf.events[i].raw, "\n", "\r\n"));
    }
    CHECK(p.pending == 0);
    check_split_invariant(crlf);
  }
}

TEST_CASE("CR line endings: an event's final CR waits for the next byte (it may start a CRLF)") {
  std::string cr = replace_all(kAnthropicRecording, "\n", "\r");
  Parsed lf = parse_whole(kAnthropicRecording);
  Parsed p = parse_whole(cr);
  REQUIRE(p.events.size() == lf.events.size() - 1);
  for (std::size_t i = 0; i < p.events.size(); ++i) {
    CHECK(p.events[i].data == lf.events[i].data);
    CHECK(p.events[i].event == lf.events[i].event);
  }
  CHECK(p.pending == lf.events.back().raw.size());
  check_split_invariant(cr);

  // The next byte (here the start of another event) releases it, with its raw ending in one CR.
  Parsed more = parse_pieces({cr, "data: x\r\r"});
  REQUIRE(more.events.size() == lf.events.size());
  CHECK(more.events.back().raw == "event: message_stop\rdata: {\"type\":\"message_stop\"}\r\r");
  CHECK(more.pending == std::string_view("data: x\r\r").size());
}

TEST_CASE("mixed line endings in one stream") {
  const std::string s = "data: a\r\ndata: b\rdata: c\n\r\nevent: e\rdata: d\n\rdata: z\r\n\n";
  Parsed p = parse_whole(s);
  REQUIRE(p.events.size() == 3);
  CHECK(p.events[0].data == "a\nb\nc");
  CHECK(p.events[0].raw == "data: a\r\ndata: b\rdata: c\n\r\n");
  CHECK(p.events[1].event == "e");
  CHECK(p.events[1].data == "d");
  CHECK(p.events[1].raw == "event: e\rdata: d\n\r");
  CHECK(p.events[2].data == "z");
  CHECK(p.events[2].raw == "data: z\r\n\n");
  CHECK(p.pending == 0);
  check_split_invariant(s);
}

TEST_CASE("a CRLF split between CR and LF is one line ending, not two") {
  Parsed p = parse_pieces({"data: a\r", "\ndata: b\r\n\r", "\n"});
  REQUIRE(p.events.size() == 1);
  CHECK(p.events[0].data == "a\nb");
  CHECK(p.events[0].raw == "data: a\r\ndata: b\r\n\r\n");
  CHECK(p.pending == 0);
}

TEST_CASE("comments") {
  SUBCASE("a keep-alive block is handed out without data") {
    Parsed p = parse_whole(": keep-alive\n\ndata: x\n\n");
    REQUIRE(p.events.size() == 2);
    CHECK_FALSE(p.events[0].has_data);
    CHECK(p.events[0].data.empty());
    CHECK(p.events[0].raw == ": keep-alive\n\n");
    CHECK(p.events[1].has_data);
    CHECK(p.events[1].data == "x");
  }
  SUBCASE("a comment inside an event is ignored but kept in raw") {
    Parsed p = parse_whole("data: a\n: note\ndata: b\n\n");
    REQUIRE(p.events.size() == 1);
    CHECK(p.events[0].data == "a\nb");
    CHECK(p.events[0].raw == "data: a\n: note\ndata: b\n\n");
  }
  SUBCASE("a bare colon is a comment") {
    Parsed p = parse_whole(":\n\n");
    REQUIRE(p.events.size() == 1);
    CHECK_FALSE(p.events[0].has_data);
  }
}

TEST_CASE("field parsing") {
  SUBCASE("multi-line data joined with LF; only one space stripped") {
    Parsed p = parse_whole("data: a\ndata:b\ndata:  c\ndata:\ndata: \n\n");
    REQUIRE(p.events.size() == 1);
    CHECK(p.events[0].data == "a\nb\n c\n\n");
  }
  SUBCASE("a field without a colon has an empty value") {
    Parsed p = parse_whole("data\n\nevent\ndata: x\n\n");
    REQUIRE(p.events.size() == 2);
    CHECK(p.events[0].has_data);
    CHECK(p.events[0].data.empty());
    CHECK(p.events[1].event.empty());
    CHECK(p.events[1].data == "x");
  }
  SUBCASE("last event and id win; fields reset between events") {
    Parsed p = parse_whole("event: a\nevent: b\nid: 1\nid: 2\ndata: x\n\ndata: y\n\n");
    REQUIRE(p.events.size() == 2);
    CHECK(p.events[0].event == "b");
    CHECK(p.events[0].id == "2");
    CHECK(p.events[1].event.empty());
    CHECK(p.events[1].id.empty());
  }
  SUBCASE("unknown fields and retry are ignored") {
    Parsed p = parse_whole("retry: 1000\nfoo: bar\nDATA: no\ndata : no\n\ndata: yes\nfoo\n\n");
    REQUIRE(p.events.size() == 2);
    CHECK_FALSE(p.events[0].has_data);
    CHECK(p.events[1].data == "yes");
  }
  SUBCASE("values keep further colons and trailing spaces") {
    Parsed p = parse_whole("data: {\"a\":\"b:c\"}  \n\n");
    REQUIRE(p.events.size() == 1);
    CHECK(p.events[0].data == "{\"a\":\"b:c\"}  ");
  }
  SUBCASE("an id containing NUL is ignored") {
    Parsed p = parse_whole(std::string_view("id: a\0b\ndata: x\n\n", 17));
    REQUIRE(p.events.size() == 1);
    CHECK(p.events[0].id.empty());
  }
  SUBCASE("blank lines between events belong to no event") {
    Parsed p = parse_whole("\n\r\n\rdata: x\n\n\n\ndata: y\n\n");
    REQUIRE(p.events.size() == 2);
    CHECK(p.events[0].raw == "data: x\n\n");
    CHECK(p.events[1].raw == "data: y\n\n");
    CHECK(p.pending == 0);
  }
}

TEST_CASE("a leading BOM is skipped, anywhere else it is data") {
  const std::string s = "\xEF\xBB\xBF" "data: x\n\n";
  Parsed p = parse_whole(s);
  REQUIRE(p.events.size() == 1);
  CHECK(p.events[0].data == "x");
  CHECK(p.events[0].raw == "data: x\n\n");
  check_split_invariant(s);

  SUBCASE("a second BOM makes the field name unknown") {
    Parsed q = parse_whole("\xEF\xBB\xBF\xEF\xBB\xBF" "data: x\n\n");
    REQUIRE(q.events.size() == 1);
    CHECK_FALSE(q.events[0].has_data);
  }
  SUBCASE("a partial BOM is not stripped") {
    Parsed q = parse_pieces({"\xEF", "data: x\n\n"});
    REQUIRE(q.events.size() == 1);
    CHECK_FALSE(q.events[0].has_data);
    CHECK(q.events[0].raw == "\xEF" "data: x\n\n");
  }
  SUBCASE("after reset a BOM is skipped again") {
    SseParser parser;
    int n = 0;
    auto count = [&](const SseEvent& e) { n += e.data == "x"; };
    CHECK(parser.feed(s, count));
    parser.reset();
    CHECK(parser.feed(s, count));
    CHECK(n == 2);
  }
}

TEST_CASE("an event larger than max_event_bytes fails the stream") {
  const std::size_t max = 64;
  const std::string fits = "data: " + std::string(max - 8, 'x') + "\n\n";  // exactly max bytes
  REQUIRE(fits.size() == max);
  Parsed ok = parse_pieces({fits, fits}, max);
  CHECK(ok.ok);
  CHECK(ok.events.size() == 2);

  const std::string big = "data: " + std::string(max, 'x') + "\n\n";
  SUBCASE("incomplete, growing past the limit") {
    SseParser p(max);
    int events = 0;
    auto on = [&](const SseEvent&) { ++events; };
    CHECK(p.feed(big.substr(0, max), on));
    CHECK_FALSE(p.feed(big.substr(max, 10), on));
    CHECK_FALSE(p.feed("\n\ndata: y\n\n", on));  // stays failed
    CHECK(events == 0);
  }
  SUBCASE("complete in one piece") {
    Parsed p = parse_pieces({big}, max);
    CHECK_FALSE(p.ok);
    CHECK(p.events.empty());
  }
  SUBCASE("a long line in many small pieces") {
    SseParser p(1 << 20);
    std::string piece(1000, 'x');
    bool alive = p.feed("data: ", [](const SseEvent&) {});
    int fed = 0;
    while (alive && fed < 2000) {
      alive = p.feed(piece, [](const SseEvent&) {});
      ++fed;
    }
    CHECK_FALSE(alive);
    CHECK(fed == 1049);  // (1 MiB - 6) / 1000 pieces fit, the next one does not
  }
}

TEST_CASE("pending_bytes counts an event cut mid-way") {
  SseParser p;
  std::vector<std::string> data;
  auto on = [&](const SseEvent& e) { data.push_back(e.data); };
  CHECK(p.feed("data: a\n\ndata: par", on));
  CHECK(data == std::vector<std::string>{"a"});
  CHECK(p.pending_bytes() == 9);
  CHECK(p.feed("tial\n", on));
  CHECK(p.pending_bytes() == 14);
  CHECK(p.feed("\n", on));
  CHECK(data == std::vector<std::string>{"a", "partial"});
  CHECK(p.pending_bytes() == 0);

  CHECK(p.feed("data: b", on));
  p.reset();
  CHECK(p.pending_bytes() == 0);
  CHECK(p.feed("data: c\n\n", on));
  CHECK(data.back() == "c");

  // The recording without its final blank line leaves the [DONE] event pending.
  SseParser q;
  int n = 0;
  CHECK(q.feed(std::string_view(kOpenAiRecording).substr(0, kOpenAiRecording.size() - 1),
               [&](const SseEvent&) { ++n; }));
  CHECK(n == 4);
  CHECK(q.pending_bytes() == std::string_view("data: [DONE]\n").size());
}

TEST_CASE("raw views stay valid through the callback while the buffer is compacted") {
  // Many events over many feeds with leftovers: each raw must match its own bytes.
  std::string stream;
  for (int i = 0; i < 200; ++i) stream += "event: e" + std::to_string(i) + "\ndata: " + std::string(i % 37, 'a') + "\n\n";
  for (std::size_t piece : {1u, 5u, 13u, 100u, 4096u}) {
    std::vector<std::string_view> pieces;
    for (std::size_t at = 0; at < stream.size(); at += piece) pieces.push_back(std::string_view(stream).substr(at, piece));
    Parsed p = parse_pieces(pieces);
    REQUIRE(p.events.size() == 200);
    CHECK(concat_raw(p) == stream);
    CHECK(p.events[199].event == "e199");
  }
}

}  // namespace
}  // namespace sovgw::backends
