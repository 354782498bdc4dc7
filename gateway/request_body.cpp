// See request_body.hpp.
#include "gateway/request_body.hpp"

#include <boost/json.hpp>

namespace sovgw {

namespace json = boost::json;

Result<ParsedBody> parse_body(std::string_view body, bool can_stream, std::string& param, json::storage_ptr storage) {
  json::error_code ec;
  json::value value = json::parse(body, ec, std::move(storage));
  if (ec || !value.is_object()) {
    return make_error(ErrorCode::kInvalidRequest, ErrorSource::kDownstream, false,
                      "We could not parse the JSON body of your request. The body must be a JSON object.");
  }
  ParsedBody parsed{std::move(value), {}, false};
  const json::object& object = parsed.value.as_object();
  const json::value* model = object.if_contains("model");
  if (!model || !model->is_string() || model->as_string().empty()) {
    param = "model";
    return make_error(ErrorCode::kInvalidRequest, ErrorSource::kDownstream, false,
                      "You must provide a model parameter (a non-empty string).");
  }
  parsed.model = std::string(model->as_string());
  if (const json::value* stream = object.if_contains("stream"); stream && !stream->is_null()) {
    if (!stream->is_bool()) {
      param = "stream";
      return make_error(ErrorCode::kInvalidRequest, ErrorSource::kDownstream, false,
                        "The stream parameter must be a boolean.");
    }
    parsed.stream = stream->as_bool() && can_stream;
  }
  return parsed;
}

std::string with_model(json::value& value, const std::string& model) {
  value.as_object()["model"] = model;
  return json::serialize(value);
}

std::string continuation_body(json::value original, const std::string& model, const std::string& delivered,
                              backends::Continuation how) {
  json::object& body = original.as_object();
  body["model"] = model;
  json::value& messages = body["messages"];
  if (!messages.is_array()) messages = json::array();
  messages.as_array().push_back(json::object{{"role", "assistant"}, {"content", delivered}});
  if (how == backends::Continuation::kVllm) {
    body["continue_final_message"] = true;
    body["add_generation_prompt"] = false;
  }
  return json::serialize(body);
}

}  // namespace sovgw
