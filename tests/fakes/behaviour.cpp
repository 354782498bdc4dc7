// Parsing of fake_upstream behaviours from model names and from /_fake/script JSON.
#include "behaviour.hpp"

#include <array>
#include <boost/json.hpp>
#include <charconv>

namespace sovgw::fake {
namespace {

namespace json = boost::json;

struct ActionEntry {
  Action action;
  std::string_view name;
};

constexpr std::array<ActionEntry, 12> kActions{{
    {Action::kNormal, "normal"},
    {Action::kStream, "stream"},
    {Action::kStatus, "status"},
    {Action::kReset, "reset"},
    {Action::kHang, "hang"},
    {Action::kSlowFirstByte, "slow_first_byte"},
    {Action::kCloseAfter, "close_after"},
    {Action::kStallAfter, "stall_after"},
    {Action::kMalformed, "malformed"},
    {Action::kNoDone, "no_done"},
    {Action::kErrorAfter, "error_after"},
    {Action::kToolCall, "tool_call"},
}};

std::optional<Action> action_from_name(std::string_view name) {
  for (const auto& entry : kActions) {
    if (entry.name == name) return entry.action;
  }
  return std::nullopt;
}

std::string parse_int(std::string_view key, std::string_view text, int min, int max, int& out) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return std::string(key) + ": expected an integer in [" + std::to_string(min) + ", " +
           std::to_string(max) + "] (got '" + std::string(text) + "')";
  }
  out = value;
  return {};
}

// Tool-call arguments must be a JSON object, as a real model's are (OpenAI sends them as text).
std::string set_arguments(Behaviour& b, std::string_view text) {
  boost::system::error_code ec;
  auto parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) {
    return "arguments: expected a JSON object (got '" + std::string(text) + "')";
  }
  b.tool_arguments = std::string(text);
  return {};
}

// One parameter given as text (both forms end up here). Returns an error message or "".
std::string set_param(Behaviour& b, std::string_view key, std::string_view value) {
  if (key == "content") {
    b.content = std::string(value);
  } else if (key == "chunks") {
    int n = 0;
    if (auto err = parse_int(key, value, 0, 100000, n); !err.empty()) return err;
    b.chunks = n;
  } else if (key == "delay_ms") {
    return parse_int(key, value, 0, 3600000, b.delay_ms);
  } else if (key == "status") {
    return parse_int(key, value, 200, 599, b.status);
  } else if (key == "body") {
    b.body = std::string(value);
  } else if (key == "content_type") {
    b.content_type = std::string(value);
  } else if (key == "retry_after") {
    b.headers.emplace_back("retry-after", std::string(value));
  } else if (key == "type") {
    b.error_type = std::string(value);
  } else if (key == "name") {
    b.tool_name = std::string(value);
  } else if (key == "arguments") {
    return set_arguments(b, value);
  } else {
    return "unknown parameter '" + std::string(key) + "'";
  }
  return {};
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hex_digit(in[i + 1]) >= 0 &&
        hex_digit(in[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(in[i + 1]) * 16 + hex_digit(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

ParsedBehaviour failed(std::string message) { return {std::nullopt, std::move(message)}; }

std::string set_json_param(Behaviour& b, std::string_view key, const json::value& v) {
  if (key == "headers") {
    if (!v.is_object()) return "headers: expected an object of strings";
    for (const auto& [name, value] : v.get_object()) {
      if (!value.is_string()) return "headers." + std::string(name) + ": expected a string";
      b.headers.emplace_back(std::string(name), std::string(value.get_string()));
    }
    return {};
  }
  if (v.is_string()) return set_param(b, key, v.get_string());
  if (v.is_int64() || v.is_uint64()) return set_param(b, key, json::serialize(v));
  if (key == "body") return set_param(b, key, json::serialize(v));  // any JSON as the body text
  if (key == "arguments" && v.is_object()) return set_param(b, key, json::serialize(v));
  return std::string(key) + ": expected a string or an integer";
}

}  // namespace

std::string_view action_name(Action action) {
  for (const auto& entry : kActions) {
    if (entry.action == action) return entry.name;
  }
  return "unknown";
}

ParsedBehaviour parse_model_behaviour(std::string_view model) {
  constexpr std::string_view kPrefix = "fake:";
  if (model.substr(0, kPrefix.size()) != kPrefix) return {};
  model.remove_prefix(kPrefix.size());
  const auto question = model.find('?');
  const auto name = model.substr(0, question);
  auto action = action_from_name(name);
  if (!action) return failed("unknown fake action '" + std::string(name) + "'");
  Behaviour b;
  b.action = *action;
  if (question == std::string_view::npos) return {b, {}};
  std::string_view query = model.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos)
      return failed("parameter '" + std::string(pair) + "' has no value");
    if (auto err = set_param(b, pair.substr(0, eq), percent_decode(pair.substr(eq + 1)));
        !err.empty()) {
      return failed(std::move(err));
    }
  }
  return {b, {}};
}

ParsedBehaviour parse_json_behaviour(const json::value& value) {
  if (!value.is_object()) return failed("a behaviour must be a JSON object");
  const auto& obj = value.get_object();
  const auto* action_value = obj.if_contains("action");
  if (!action_value || !action_value->is_string())
    return failed("behaviour without a string 'action'");
  auto action = action_from_name(action_value->get_string());
  if (!action) {
    return failed("unknown fake action '" + std::string(action_value->get_string()) + "'");
  }
  Behaviour b;
  b.action = *action;
  for (const auto& [key, v] : obj) {
    if (key == "action") continue;
    if (auto err = set_json_param(b, key, v); !err.empty()) return failed(std::move(err));
  }
  return {b, {}};
}

}  // namespace sovgw::fake
