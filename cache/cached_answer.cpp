// See cached_answer.hpp.
#include "cache/cached_answer.hpp"

#include <boost/json.hpp>

namespace sovgw::cache {

namespace json = boost::json;

namespace {

constexpr std::uint8_t kFormatVersion = 1;
constexpr std::size_t kHeaderBytes = 10;

std::optional<json::object> parse_object(std::string_view text) {
  json::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// The single choice of a completed answer, or nullptr.
const json::object* single_finished_choice(const json::object& answer) {
  const auto* choices = answer.if_contains("choices");
  if (!choices || !choices->is_array() || choices->as_array().size() != 1) return nullptr;
  const auto* choice = choices->as_array()[0].if_object();
  if (!choice) return nullptr;
  const auto* finish = choice->if_contains("finish_reason");
  if (!finish || !finish->is_string()) return nullptr;
  return choice;
}

}  // namespace

std::string encode_answer(AnswerKind kind, std::chrono::system_clock::time_point stored_at, std::string_view body) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(stored_at.time_since_epoch()).count();
  auto bits = static_cast<std::uint64_t>(ms);
  std::string value;
  value.reserve(kHeaderBytes + body.size());
  value.push_back(static_cast<char>(kFormatVersion));
  value.push_back(static_cast<char>(kind));
  for (int shift = 56; shift >= 0; shift -= 8) value.push_back(static_cast<char>((bits >> shift) & 0xff));
  value.append(body);
  return value;
}

std::optional<CachedAnswer> decode_answer(std::string_view value) {
  if (value.size() < kHeaderBytes || static_cast<std::uint8_t>(value[0]) != kFormatVersion) return std::nullopt;
  const auto kind = static_cast<std::uint8_t>(value[1]);
  if (kind != static_cast<std::uint8_t>(AnswerKind::kChatCompletion) &&
      kind != static_cast<std::uint8_t>(AnswerKind::kRawJson)) {
    return std::nullopt;
  }
  std::uint64_t bits = 0;
  for (std::size_t i = 2; i < kHeaderBytes; ++i) bits = (bits << 8) | static_cast<std::uint8_t>(value[i]);
  CachedAnswer answer;
  answer.kind = static_cast<AnswerKind>(kind);
  answer.stored_at = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::milliseconds(static_cast<std::int64_t>(bits))));
  answer.body.assign(value.substr(kHeaderBytes));
  return answer;
}

std::optional<std::string> storable_chat_completion(std::string_view upstream_body) {
  auto answer = parse_object(upstream_body);
  if (!answer || answer->contains("error")) return std::nullopt;
  const auto* choice = single_finished_choice(*answer);
  if (!choice) return std::nullopt;
  const auto* message = choice->if_contains("message");
  if (!message || !message->is_object()) return std::nullopt;
  return json::serialize(*answer);
}

std::optional<std::string> storable_raw_answer(std::string_view upstream_body, bool completions) {
  auto answer = parse_object(upstream_body);
  if (!answer || answer->contains("error")) return std::nullopt;
  if (completions && !single_finished_choice(*answer)) return std::nullopt;
  return std::string(upstream_body);
}

}  // namespace sovgw::cache
