// See stream_capture.hpp.
#include "cache/stream_capture.hpp"

#include <boost/json.hpp>

namespace sovgw::cache {

namespace json = boost::json;

namespace {

// Appends a string field of `from` to `to` (creating it), when present and a string.
void append_string(const json::object& from, std::string_view name, std::optional<std::string>& to) {
  const auto* value = from.if_contains(name);
  if (!value || !value->is_string()) return;
  if (!to) to.emplace();
  to->append(value->as_string());
}

void append_array(const json::object& from, std::string_view name, std::optional<json::array>& to) {
  const auto* value = from.if_contains(name);
  if (!value || !value->is_array()) return;
  if (!to) to.emplace();
  for (const auto& item : value->as_array()) to->push_back(item);
}

json::object call_object(const json::value& id, const json::value& type, const std::string& name,
                         const std::string& arguments) {
  json::object call;
  if (!id.is_null()) call["id"] = id;
  call["type"] = type.is_null() ? json::value("function") : type;
  call["function"] = json::object{{"name", name}, {"arguments", arguments}};
  return call;
}

}  // namespace

void StreamCapture::on_event(std::string_view data) {
  if (failed_ || done_) return;
  bytes_ += data.size();
  if (bytes_ > max_bytes_) {
    failed_ = true;
    return;
  }
  if (data == "[DONE]") {
    done_ = true;
    return;
  }
  json::error_code ec;
  auto value = json::parse(data, ec);
  if (ec || !value.is_object() || value.as_object().contains("error")) {
    failed_ = true;
    return;
  }
  const auto& chunk = value.as_object();
  take_meta(chunk);
  if (const auto* usage = chunk.if_contains("usage"); usage && usage->is_object()) usage_ = *usage;
  const auto* choices = chunk.if_contains("choices");
  if (!choices) return;
  if (!choices->is_array()) {
    failed_ = true;
    return;
  }
  for (const auto& choice : choices->as_array()) {
    if (!choice.is_object()) {
      failed_ = true;
      return;
    }
    take_choice(choice.as_object());
  }
}

void StreamCapture::take_meta(const json::object& chunk) {
  for (std::string_view name : {"id", "created", "model", "system_fingerprint"}) {
    const auto* value = chunk.if_contains(name);
    if (value && !value->is_null() && !meta_.contains(name)) meta_[name] = *value;
  }
}

void StreamCapture::take_choice(const json::object& choice) {
  const auto* index = choice.if_contains("index");
  if (index && !(index->is_int64() && index->get_int64() == 0) && !(index->is_uint64() && index->get_uint64() == 0)) {
    failed_ = true;  // several choices: one stored answer per key
    return;
  }
  if (const auto* delta = choice.if_contains("delta"); delta && delta->is_object()) take_delta(delta->as_object());
  if (const auto* logprobs = choice.if_contains("logprobs")) take_logprobs(*logprobs);
  if (const auto* finish = choice.if_contains("finish_reason"); finish && finish->is_string()) {
    finish_reason_ = *finish;
    finished_ = true;
  }
}

void StreamCapture::take_delta(const json::object& delta) {
  if (const auto* role = delta.if_contains("role"); role && role->is_string()) role_ = role->as_string();
  append_string(delta, "content", content_);
  append_string(delta, "refusal", refusal_);
  if (const auto* calls = delta.if_contains("tool_calls"); calls && calls->is_array()) {
    for (const auto& call : calls->as_array()) {
      if (call.is_object()) take_tool_call(call.as_object());
    }
  }
  if (const auto* call = delta.if_contains("function_call"); call && call->is_object()) {
    if (!function_call_) function_call_.emplace();
    const auto& fn = call->as_object();
    if (const auto* name = fn.if_contains("name"); name && name->is_string()) function_call_->name += name->as_string();
    if (const auto* args = fn.if_contains("arguments"); args && args->is_string()) {
      function_call_->arguments += args->as_string();
    }
  }
}

// Tool calls arrive as deltas keyed by index: the first carries id, type and name, the rest
// pieces of the arguments.
void StreamCapture::take_tool_call(const json::object& call) {
  std::size_t index = tool_calls_.empty() ? 0 : tool_calls_.size() - 1;
  if (const auto* i = call.if_contains("index"); i && i->is_int64() && i->get_int64() >= 0 && i->get_int64() < 1024) {
    index = static_cast<std::size_t>(i->get_int64());
  }
  if (index >= tool_calls_.size()) tool_calls_.resize(index + 1);
  auto& entry = tool_calls_[index];
  if (const auto* id = call.if_contains("id"); id && id->is_string()) entry.id = *id;
  if (const auto* type = call.if_contains("type"); type && type->is_string()) entry.type = *type;
  if (const auto* fn = call.if_contains("function"); fn && fn->is_object()) {
    const auto& f = fn->as_object();
    if (const auto* name = f.if_contains("name"); name && name->is_string()) entry.name += name->as_string();
    if (const auto* args = f.if_contains("arguments"); args && args->is_string()) entry.arguments += args->as_string();
  }
}

void StreamCapture::take_logprobs(const json::value& logprobs) {
  if (!logprobs.is_object()) return;
  append_array(logprobs.as_object(), "content", logprobs_content_);
  append_array(logprobs.as_object(), "refusal", logprobs_refusal_);
}

json::object StreamCapture::message() const {
  json::object message{{"role", role_}};
  message["content"] = content_ ? json::value(*content_) : json::value(nullptr);
  if (refusal_) message["refusal"] = *refusal_;
  if (!tool_calls_.empty()) {
    json::array calls;
    for (const auto& call : tool_calls_) calls.push_back(call_object(call.id, call.type, call.name, call.arguments));
    message["tool_calls"] = std::move(calls);
  }
  if (function_call_) {
    message["function_call"] = json::object{{"name", function_call_->name}, {"arguments", function_call_->arguments}};
  }
  return message;
}

std::optional<std::string> StreamCapture::answer() const {
  if (!complete()) return std::nullopt;
  json::object answer;
  answer["id"] = meta_.contains("id") ? meta_.at("id") : json::value("");
  answer["object"] = "chat.completion";
  if (const auto* created = meta_.if_contains("created")) answer["created"] = *created;
  if (const auto* model = meta_.if_contains("model")) answer["model"] = *model;
  if (const auto* fp = meta_.if_contains("system_fingerprint")) answer["system_fingerprint"] = *fp;
  json::value logprobs = nullptr;
  if (logprobs_content_ || logprobs_refusal_) {
    logprobs = json::object{{"content", logprobs_content_ ? json::value(*logprobs_content_) : json::value(nullptr)},
                            {"refusal", logprobs_refusal_ ? json::value(*logprobs_refusal_) : json::value(nullptr)}};
  }
  answer["choices"] = json::array{json::object{
      {"index", 0}, {"message", message()}, {"logprobs", std::move(logprobs)}, {"finish_reason", finish_reason_}}};
  if (!usage_.is_null()) answer["usage"] = usage_;
  return json::serialize(answer);
}

}  // namespace sovgw::cache
