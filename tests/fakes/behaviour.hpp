// Behaviour: what fake_upstream does with one /v1 request (answer normally, stream, fail, hang...).
// Parsed from a model name `fake:ACTION?k=v&k=v` or from a JSON object `{"action":...}` posted to
// /_fake/script (see tests/fakes/README.md for the table). Plain values, no I/O, no threads.
//
//   auto b = parse_model_behaviour("fake:stream?chunks=3&delay_ms=20");
//   if (b.error.empty() && b.behaviour) use(*b.behaviour);
#pragma once

#include <boost/json/fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sovgw::fake {

enum class Action {
  kNormal,         // JSON or SSE by the request's `stream` flag
  kStream,         // SSE whatever the request asked
  kStatus,         // a fixed status and body
  kReset,          // TCP RST before any response byte
  kHang,           // never answer
  kSlowFirstByte,  // wait, then kNormal
  kCloseAfter,     // K content chunks, then close without ending the chunked body
  kStallAfter,     // K content chunks, then silence
  kMalformed,      // K good chunks, one `data: {not json`, then the rest
  kNoDone,         // K chunks and the finish chunk, then a clean end without [DONE]
  kErrorAfter,     // K content chunks, then an in-band error event and a clean end
  kToolCall,       // a tool call (JSON or SSE by the request's `stream` flag)
};

std::string_view action_name(Action action);

struct Behaviour {
  Action action = Action::kNormal;
  std::optional<std::string> content;  // replaces the default "Hello from NAME: ..." answer
  std::optional<int> chunks;           // N content chunks (stream) or K before the failure
  int delay_ms = 0;                    // between SSE events; before the answer for slow_first_byte
  int status = 500;                    // for kStatus
  std::optional<std::string> body;     // for kStatus; default is an OpenAI error for `status`
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra response headers (kStatus)
  std::optional<std::string> error_type;  // kErrorAfter; default per protocol
  std::string tool_name = "get_weather";           // kToolCall
  std::string tool_arguments = R"({"city":"Seoul"})";  // kToolCall: a JSON object, as text
};

struct ParsedBehaviour {
  std::optional<Behaviour> behaviour;  // empty when the input selects no behaviour
  std::string error;                   // non-empty when the input was malformed
};

// `fake:ACTION?k=v&k=v` (values may be %XX-encoded). A model not starting with "fake:" gives an
// empty result without error.
ParsedBehaviour parse_model_behaviour(std::string_view model);

// {"action":"...", params...}. Every problem is reported as an error.
ParsedBehaviour parse_json_behaviour(const boost::json::value& value);

}  // namespace sovgw::fake
