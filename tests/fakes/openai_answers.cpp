// OpenAI-shaped bodies and SSE event sequences for fake_upstream.
#include "openai_answers.hpp"

#include <algorithm>
#include <cstring>
#include <boost/json.hpp>

#include "anthropic_answers.hpp"

namespace sovgw::fake {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxContentBytes = 200;
constexpr std::string_view kFingerprint = "fp_fake";

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

// Leading whitespace + one word per token, so that joining the tokens gives the text back.
std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto start = i;
    while (i < text.size() && is_space(text[i])) ++i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i == text.size() && !out.empty() && start < i &&
        std::all_of(text.begin() + start, text.end(), is_space)) {
      out.back().append(text.substr(start));  // trailing whitespace joins the last word
    } else {
      out.emplace_back(text.substr(start, i - start));
    }
  }
  return out;
}

std::string id_for(const RequestInfo& info, const AnswerIds& ids) {
  const char* prefix = info.endpoint == Endpoint::kChat ? "chatcmpl-fake" : "cmpl-fake";
  return prefix + std::to_string(ids.seq);
}

json::object usage(int prompt, int completion) {
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion}};
}

json::object envelope(const RequestInfo& info, const AnswerIds& ids, std::string_view object) {
  return {{"id", id_for(info, ids)},
          {"object", object},
          {"created", ids.created},
          {"model", info.model},
          {"system_fingerprint", kFingerprint}};
}

std::string event(const json::value& v) { return "data: " + json::serialize(v) + "\n\n"; }

// One streamed choice: a chat delta or a text piece, with its finish reason (null until the end,
// given as "").
std::string choice_event(const RequestInfo& info, const AnswerIds& ids, json::object delta,
                         std::string_view text, std::string_view finish = "") {
  const bool chat = info.endpoint == Endpoint::kChat;
  auto chunk = envelope(info, ids, chat ? "chat.completion.chunk" : "text_completion");
  json::object choice;
  if (chat) {
    choice = {{"index", 0}, {"delta", std::move(delta)}};
  } else {
    choice = {{"text", text}, {"index", 0}};
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish.empty() ? json::value(nullptr) : json::value(finish);
  chunk["choices"] = json::array{std::move(choice)};
  return event(chunk);
}

std::string content_event(const RequestInfo& info, const AnswerIds& ids, std::string_view piece) {
  return choice_event(info, ids, {{"content", piece}}, piece);
}

std::string usage_event(const RequestInfo& info, const AnswerIds& ids, int completion_tokens) {
  const bool chat = info.endpoint == Endpoint::kChat;
  auto chunk = envelope(info, ids, chat ? "chat.completion.chunk" : "text_completion");
  chunk["choices"] = json::array{};
  chunk["usage"] = usage(info.prompt_tokens, completion_tokens);
  return event(chunk);
}

std::string call_id(const AnswerIds& ids) { return "call_fake" + std::to_string(ids.seq); }

int tool_call_tokens(const Behaviour& b) {
  return count_words(b.tool_arguments) + (b.content ? count_words(*b.content) : 0);
}

std::string tool_call_answer(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids) {
  auto body = envelope(info, ids, "chat.completion");
  json::object function{{"name", b.tool_name}, {"arguments", b.tool_arguments}};
  json::object message{
      {"role", "assistant"},
      {"content", b.content ? json::value(*b.content) : json::value(nullptr)},
      {"refusal", nullptr},
      {"tool_calls", json::array{json::object{
                         {"id", call_id(ids)}, {"type", "function"}, {"function", function}}}}};
  body["choices"] = json::array{json::object{{"index", 0},
                                             {"message", std::move(message)},
                                             {"logprobs", nullptr},
                                             {"finish_reason", "tool_calls"}}};
  body["usage"] = usage(info.prompt_tokens, tool_call_tokens(b));
  return json::serialize(body);
}

// Role chunk, the call's id/type/name with "" arguments, the arguments in pieces, the finish
// chunk — the order OpenAI streams a tool call in.
StreamPlan tool_call_stream(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids) {
  StreamPlan plan;
  plan.events.push_back(
      choice_event(info, ids, {{"role", "assistant"}, {"content", nullptr}}, ""));
  json::object first{{"index", 0},
                     {"id", call_id(ids)},
                     {"type", "function"},
                     {"function", {{"name", b.tool_name}, {"arguments", ""}}}};
  plan.events.push_back(choice_event(info, ids, {{"tool_calls", json::array{first}}}, ""));
  for (const auto& piece : split_arguments(b.tool_arguments)) {
    json::object more{{"index", 0}, {"function", {{"arguments", piece}}}};
    plan.events.push_back(choice_event(info, ids, {{"tool_calls", json::array{more}}}, ""));
  }
  plan.events.push_back(choice_event(info, ids, {}, "", "tool_calls"));
  if (info.include_usage) plan.events.push_back(usage_event(info, ids, tool_call_tokens(b)));
  plan.events.emplace_back("data: [DONE]\n\n");
  return plan;
}

// Little-endian float32 values, base64-encoded: what OpenAI sends for encoding_format "base64".
static std::string base64_floats(const std::vector<float>& values) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(values.size() * 4, '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());  // x86-64 and ARM64 are little-endian
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string embeddings_answer(const RequestInfo& info) {
  json::array data;
  for (std::size_t i = 0; i < info.inputs.size(); ++i) {
    // A deterministic vector per input text (FNV-1a seed, then an LCG), values in [-1, 1].
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : info.inputs[i]) h = (h ^ c) * 1099511628211ull;
    std::vector<float> values;
    for (int d = 0; d < 8; ++d) {
      h = h * 6364136223846793005ull + 1442695040888963407ull;
      values.push_back(static_cast<float>(static_cast<double>(h >> 40) / static_cast<double>(1ull << 23) - 1.0));
    }
    json::value vec;
    if (info.base64) {
      vec = base64_floats(values);
    } else {
      json::array floats;
      for (float v : values) floats.push_back(static_cast<double>(v));
      vec = std::move(floats);
    }
    data.push_back(
        json::object{{"object", "embedding"}, {"index", i}, {"embedding", std::move(vec)}});
  }
  return json::serialize(json::object{
      {"object", "list"},
      {"data", std::move(data)},
      {"model", info.model},
      {"usage", {{"prompt_tokens", info.prompt_tokens}, {"total_tokens", info.prompt_tokens}}}});
}

std::string models_answer() {
  return json::serialize(json::object{{"object", "list"},
                                      {"data", json::array{json::object{{"id", "fake-model"},
                                                                        {"object", "model"},
                                                                        {"created", 1700000000},
                                                                        {"owned_by", "fake"}}}}});
}

}  // namespace

// A continuation request gets the rest of the answer after the text it ends with, when the
// answer begins with that text; otherwise the whole answer.
static std::string continued(std::string text, const RequestInfo& info) {
  if (info.continuing && text.starts_with(info.continue_from)) return text.substr(info.continue_from.size());
  return text;
}

std::string answer_content(const Behaviour& b, const RequestInfo& info, std::string_view name) {
  if (b.content) return continued(*b.content, info);
  std::string text = "Hello from " + std::string(name) + ": " + info.prompt_text;
  if (text.size() > kMaxContentBytes) {
    std::size_t cut = kMaxContentBytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    text.resize(cut);
  }
  return continued(std::move(text), info);
}

std::vector<std::string> split_pieces(std::string_view content, std::size_t count) {
  const auto words = tokens(content);
  const auto w = words.size();
  std::vector<std::string> out(count);
  if (w == 0) return out;
  for (std::size_t i = 0; i < count; ++i) {
    if (count <= w) {
      for (auto j = i * w / count; j < (i + 1) * w / count; ++j) out[i] += words[j];
    } else {
      out[i] = words[i % w];
      if (i >= w && i % w == 0) out[i].insert(0, " ");  // a repeat starts a new word
    }
  }
  return out;
}

bool wants_tool_call(const Behaviour& b, const RequestInfo& info) {
  return b.action == Action::kToolCall && !info.after_tool_result &&
         (info.endpoint == Endpoint::kChat || info.endpoint == Endpoint::kMessages);
}

StreamPieces stream_pieces(const Behaviour& b, std::string_view content) {
  const auto words = tokens(content).size();
  const bool fails = b.action == Action::kCloseAfter || b.action == Action::kStallAfter ||
                     b.action == Action::kMalformed || b.action == Action::kErrorAfter;
  // For the failing actions `chunks` is K, the good chunks before the failure; else the total.
  const std::size_t k = b.chunks ? static_cast<std::size_t>(*b.chunks) : words;
  auto pieces = split_pieces(content, fails ? std::max(k, words) : k);
  StreamPieces out;
  const auto cut = pieces.begin() + static_cast<std::ptrdiff_t>(std::min(k, pieces.size()));
  out.before.assign(pieces.begin(), cut);
  out.after.assign(cut, pieces.end());
  return out;
}

std::vector<std::string> split_arguments(std::string_view arguments) {
  const std::size_t n = arguments.size() < 2 ? 1 : arguments.size() < 3 ? 2 : 3;
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 1; i <= n; ++i) {
    std::size_t end = i == n ? arguments.size() : i * arguments.size() / n;
    while (end > start + 1 && end < arguments.size() &&
           (static_cast<unsigned char>(arguments[end]) & 0xC0) == 0x80) {
      --end;  // not inside a UTF-8 sequence
    }
    if (end > start) out.emplace_back(arguments.substr(start, end - start));
    start = end;
  }
  return out;
}

std::string json_answer(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids,
                        std::string_view content) {
  const int completion_tokens = count_words(content);
  switch (info.endpoint) {
    case Endpoint::kChat: {
      if (wants_tool_call(b, info)) return tool_call_answer(b, info, ids);
      auto body = envelope(info, ids, "chat.completion");
      json::object message{{"role", "assistant"}, {"content", content}, {"refusal", nullptr}};
      body["choices"] = json::array{json::object{{"index", 0},
                                                 {"message", std::move(message)},
                                                 {"logprobs", nullptr},
                                                 {"finish_reason", "stop"}}};
      body["usage"] = usage(info.prompt_tokens, completion_tokens);
      return json::serialize(body);
    }
    case Endpoint::kCompletions: {
      auto body = envelope(info, ids, "text_completion");
      body["choices"] = json::array{json::object{
          {"text", content}, {"index", 0}, {"logprobs", nullptr}, {"finish_reason", "stop"}}};
      body["usage"] = usage(info.prompt_tokens, completion_tokens);
      return json::serialize(body);
    }
    case Endpoint::kMessages: return anthropic_json_answer(b, info, ids, content);
    case Endpoint::kEmbeddings: return embeddings_answer(info);
    case Endpoint::kModels: return models_answer();
    case Endpoint::kUnknown: break;
  }
  return error_json("Invalid URL", "invalid_request_error", "");
}

StreamPlan plan_stream(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids,
                       std::string_view content) {
  if (info.endpoint == Endpoint::kMessages) return plan_anthropic_stream(b, info, ids, content);
  if (wants_tool_call(b, info)) return tool_call_stream(b, info, ids);
  const auto pieces = stream_pieces(b, content);
  StreamPlan plan;
  if (info.endpoint == Endpoint::kChat) {
    plan.events.push_back(choice_event(info, ids, {{"role", "assistant"}, {"content", ""}}, ""));
  }
  for (const auto& piece : pieces.before) plan.events.push_back(content_event(info, ids, piece));
  switch (b.action) {
    case Action::kCloseAfter: plan.end = StreamEnd::kClose; return plan;
    case Action::kStallAfter: plan.end = StreamEnd::kStall; return plan;
    case Action::kErrorAfter:
      // In-band, as OpenAI reports a failure after the 200 header: no finish chunk, no [DONE].
      plan.events.push_back(event(json::parse(error_json(
          "The server had an error while processing your request.",
          b.error_type.value_or("server_error"), ""))));
      return plan;
    case Action::kMalformed:
      plan.events.emplace_back("data: {not json\n\n");
      for (const auto& piece : pieces.after) plan.events.push_back(content_event(info, ids, piece));
      break;
    default: break;
  }
  plan.events.push_back(choice_event(info, ids, {}, "", "stop"));
  if (b.action == Action::kNoDone) return plan;
  const auto count = pieces.before.size() + pieces.after.size();
  if (info.include_usage) plan.events.push_back(usage_event(info, ids, static_cast<int>(count)));
  plan.events.emplace_back("data: [DONE]\n\n");
  return plan;
}

std::string error_json(std::string_view message, std::string_view type, std::string_view code) {
  return json::serialize(
      json::object{{"error",
                    {{"message", message},
                     {"type", type},
                     {"param", nullptr},
                     {"code", code.empty() ? json::value(nullptr) : json::value(code)}}}});
}

std::string status_error_json(int status) {
  const std::string message = "fake upstream status " + std::to_string(status);
  switch (status) {
    case 400: return error_json(message, "invalid_request_error", "");
    case 401: return error_json(message, "invalid_request_error", "invalid_api_key");
    case 403: return error_json(message, "permission_denied", "");
    case 404: return error_json(message, "invalid_request_error", "model_not_found");
    case 429: return error_json(message, "requests", "rate_limit_exceeded");
    case 503: return error_json(message, "service_unavailable_error", "server_is_overloaded");
    default: break;
  }
  return error_json(message, status >= 500 ? "server_error" : "invalid_request_error", "");
}

}  // namespace sovgw::fake
