// OpenAI-shaped bodies and SSE event sequences for fake_upstream.
#include "openai_answers.hpp"

#include <algorithm>
#include <cstring>
#include <boost/json.hpp>

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

// One streamed choice: a chat delta or a text piece, with its finish reason (null until the end).
std::string choice_event(const RequestInfo& info, const AnswerIds& ids, json::object delta,
                         std::string_view text, bool finish) {
  const bool chat = info.endpoint == Endpoint::kChat;
  auto chunk = envelope(info, ids, chat ? "chat.completion.chunk" : "text_completion");
  json::object choice;
  if (chat) {
    choice = {{"index", 0}, {"delta", std::move(delta)}};
  } else {
    choice = {{"text", text}, {"index", 0}};
  }
  choice["logprobs"] = nullptr;
  choice["finish_reason"] = finish ? json::value("stop") : json::value(nullptr);
  chunk["choices"] = json::array{std::move(choice)};
  return event(chunk);
}

std::string content_event(const RequestInfo& info, const AnswerIds& ids, std::string_view piece) {
  return choice_event(info, ids, {{"content", piece}}, piece, false);
}

std::string usage_event(const RequestInfo& info, const AnswerIds& ids, int completion_tokens) {
  const bool chat = info.endpoint == Endpoint::kChat;
  auto chunk = envelope(info, ids, chat ? "chat.completion.chunk" : "text_completion");
  chunk["choices"] = json::array{};
  chunk["usage"] = usage(info.prompt_tokens, completion_tokens);
  return event(chunk);
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

std::string json_answer(const RequestInfo& info, const AnswerIds& ids, std::string_view content) {
  const int completion_tokens = count_words(content);
  switch (info.endpoint) {
    case Endpoint::kChat: {
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
    case Endpoint::kEmbeddings: return embeddings_answer(info);
    case Endpoint::kModels: return models_answer();
    case Endpoint::kUnknown: break;
  }
  return error_json("Invalid URL", "invalid_request_error", "");
}

StreamPlan plan_stream(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids,
                       std::string_view content) {
  const auto words = tokens(content).size();
  const bool cut_short = b.action == Action::kCloseAfter || b.action == Action::kStallAfter;
  const bool fails = cut_short || b.action == Action::kMalformed;
  // For the failing actions `chunks` is K, the good chunks before the failure; else the total.
  const std::size_t k = b.chunks ? static_cast<std::size_t>(*b.chunks) : words;
  const auto pieces = split_pieces(content, fails ? std::max(k, words) : k);

  StreamPlan plan;
  if (info.endpoint == Endpoint::kChat) {
    plan.events.push_back(
        choice_event(info, ids, {{"role", "assistant"}, {"content", ""}}, "", false));
  }
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (fails && i == k) break;
    plan.events.push_back(content_event(info, ids, pieces[i]));
  }
  if (cut_short) {
    plan.end = b.action == Action::kCloseAfter ? StreamEnd::kClose : StreamEnd::kStall;
    return plan;
  }
  if (b.action == Action::kMalformed) {
    plan.events.emplace_back("data: {not json\n\n");
    for (std::size_t i = k; i < pieces.size(); ++i)
      plan.events.push_back(content_event(info, ids, pieces[i]));
  }
  plan.events.push_back(choice_event(info, ids, {}, "", true));
  if (b.action == Action::kNoDone) return plan;
  if (info.include_usage)
    plan.events.push_back(usage_event(info, ids, static_cast<int>(pieces.size())));
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
