// See sse_replay.hpp.
#include "cache/sse_replay.hpp"

#include <string_view>

#include <boost/json.hpp>

namespace sovgw::cache {

namespace json = boost::json;

namespace {

// The fields every chunk repeats, and how each chunk is written.
class ChunkWriter {
 public:
  ChunkWriter(const json::object& answer, const ReplayOptions& options, std::string& out)
      : options_(options), out_(out) {
    const auto* id = answer.if_contains("id");
    base_["id"] = !options.id.empty() ? json::value(options.id) : (id ? *id : json::value(""));
    base_["object"] = "chat.completion.chunk";
    if (const auto* created = answer.if_contains("created")) base_["created"] = *created;
    if (const auto* model = answer.if_contains("model")) base_["model"] = *model;
    if (const auto* fp = answer.if_contains("system_fingerprint"); fp && !fp->is_null()) {
      base_["system_fingerprint"] = *fp;
    }
  }

  void choice(json::object delta, json::value finish_reason = nullptr, json::value logprobs = nullptr) {
    json::object chunk = base_;
    chunk["choices"] = json::array{json::object{{"index", 0},
                                                {"delta", std::move(delta)},
                                                {"logprobs", std::move(logprobs)},
                                                {"finish_reason", std::move(finish_reason)}}};
    if (options_.include_usage) chunk["usage"] = nullptr;
    event(chunk);
  }

  void usage(const json::value& usage) {
    json::object chunk = base_;
    chunk["choices"] = json::array{};
    chunk["usage"] = usage;
    event(chunk);
  }

  void done() { out_ += "data: [DONE]\n\n"; }

 private:
  void event(const json::object& chunk) {
    out_ += "data: ";
    out_ += json::serialize(chunk);
    out_ += "\n\n";
  }

  json::object base_;
  const ReplayOptions& options_;
  std::string& out_;
};

// The end of the next piece of `text` from `start`: at most `max` bytes, never inside a UTF-8
// character (a character longer than `max` goes out whole).
std::size_t piece_end(std::string_view text, std::size_t start, std::size_t max) {
  std::size_t end = std::min(text.size(), start + std::max<std::size_t>(max, 1));
  auto continuation = [&](std::size_t i) { return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
  std::size_t back = end;
  while (back > start && continuation(back)) --back;
  if (back > start) return back;
  while (continuation(end)) ++end;
  return end;
}

// `text` as deltas of `field`, in pieces; the first piece carries the logprobs, if any.
void write_pieces(ChunkWriter& writer, std::string_view field, std::string_view text, std::size_t max,
                  json::value& logprobs) {
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = piece_end(text, start, max);
    json::object delta{{field, text.substr(start, end - start)}};
    writer.choice(std::move(delta), nullptr, std::exchange(logprobs, nullptr));
    start = end;
  }
}

void write_tool_calls(ChunkWriter& writer, const json::object& message) {
  if (const auto* calls = message.if_contains("tool_calls"); calls && calls->is_array()) {
    const auto& array = calls->as_array();
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (!array[i].is_object()) continue;
      json::object call = array[i].as_object();
      call["index"] = i;
      writer.choice(json::object{{"tool_calls", json::array{std::move(call)}}});
    }
  }
  if (const auto* call = message.if_contains("function_call"); call && call->is_object()) {
    writer.choice(json::object{{"function_call", *call}});
  }
}

const json::object* single_choice(const json::object& answer) {
  const auto* choices = answer.if_contains("choices");
  if (!choices || !choices->is_array() || choices->as_array().size() != 1) return nullptr;
  return choices->as_array()[0].if_object();
}

}  // namespace

std::optional<std::string> replay_sse(const CachedAnswer& answer, const ReplayOptions& options) {
  if (answer.kind != AnswerKind::kChatCompletion) return std::nullopt;
  json::error_code ec;
  auto parsed = json::parse(answer.body, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const auto& object = parsed.as_object();
  const auto* choice = single_choice(object);
  const auto* message = choice ? choice->if_contains("message") : nullptr;
  if (!message || !message->is_object()) return std::nullopt;
  const auto& msg = message->as_object();

  std::string out;
  out.reserve(answer.body.size() * 2 + 256);
  ChunkWriter writer(object, options, out);
  json::object first{{"role", msg.contains("role") ? msg.at("role") : json::value("assistant")}};
  const auto* content = msg.if_contains("content");
  const bool text = content && content->is_string();
  if (text) first["content"] = "";
  writer.choice(std::move(first));

  json::value logprobs = choice->contains("logprobs") ? choice->at("logprobs") : json::value(nullptr);
  if (text) write_pieces(writer, "content", content->as_string(), options.piece_bytes, logprobs);
  if (const auto* refusal = msg.if_contains("refusal"); refusal && refusal->is_string()) {
    write_pieces(writer, "refusal", refusal->as_string(), options.piece_bytes, logprobs);
  }
  write_tool_calls(writer, msg);
  const auto* finish = choice->if_contains("finish_reason");
  writer.choice(json::object{}, finish ? *finish : json::value("stop"), std::move(logprobs));
  if (const auto* usage = object.if_contains("usage"); options.include_usage && usage && !usage->is_null()) {
    writer.usage(*usage);
  }
  writer.done();
  return out;
}

std::string replay_json(const CachedAnswer& answer, const ReplayOptions& options) {
  if (answer.kind != AnswerKind::kChatCompletion || options.id.empty()) return answer.body;
  json::error_code ec;
  auto parsed = json::parse(answer.body, ec);
  if (ec || !parsed.is_object()) return answer.body;
  parsed.as_object()["id"] = options.id;
  return json::serialize(parsed);
}

}  // namespace sovgw::cache
