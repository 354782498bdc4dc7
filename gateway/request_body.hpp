// The JSON body of a proxied request: parsed and checked once (an object with a non-empty string
// "model" and a boolean or absent "stream"), then re-serialised for a target whose model name
// differs, or for a mid-stream continuation. Used by Pipeline::proxy; pure functions, any thread.
//
//   std::string param;
//   auto parsed = parse_body(request.body(), /*can_stream=*/true, param);   // 400 on error
//   std::string out = with_model(parsed->value, "gpt-4o");
#pragma once

#include <string>
#include <string_view>

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include "backends/backend_config.hpp"
#include "common/result.hpp"

namespace sovgw {

struct ParsedBody {
  boost::json::value value;  // always an object
  std::string model;
  bool stream = false;  // asked for a stream, and the route can stream
};

// An error names the offending field in `param` ("model", "stream") when there is one. The DOM
// lives in `storage` (the default heap when null): the request path passes a per-request arena,
// which must outlive the ParsedBody and every json::value copied from it.
Result<ParsedBody> parse_body(std::string_view body, bool can_stream, std::string& param,
                              boost::json::storage_ptr storage = {});

// The body with its "model" replaced.
std::string with_model(boost::json::value& value, const std::string& model);

// The original chat request plus the text already delivered as a final assistant message, which
// the backend continues (vLLM needs to be told explicitly; llama.cpp and most templates do it).
std::string continuation_body(boost::json::value original, const std::string& model, const std::string& delivered,
                              backends::Continuation how);

}  // namespace sovgw
