// Builders for what fake_upstream sends on POST /v1/messages (the Anthropic Messages API): the
// Message JSON (text or text + tool_use), the named-event SSE sequence message_start ...
// message_stop under each streaming action, and Anthropic-shaped error bodies. Pure functions;
// openai_answers.cpp hands /v1/messages requests here and the responder does the I/O.
//
//   auto plan = plan_anthropic_stream(behaviour, info, {seq, created}, content);
//   for (auto& ev : plan.events) write(ev);  // each is "event: NAME\ndata: {json}\n\n"
#pragma once

#include <string>
#include <string_view>

#include "behaviour.hpp"
#include "openai_answers.hpp"
#include "openai_request.hpp"

namespace sovgw::fake {

// {"id":"msg_fake<seq>","type":"message",...}: `content` as one text block with stop_reason
// end_turn, or (tool_call) a text block and a tool_use block with stop_reason tool_use.
std::string anthropic_json_answer(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids,
                                  std::string_view content);

// message_start, content_block_start, ping, text deltas, content_block_stop, message_delta,
// message_stop — cut short, broken or ended early as the action says.
StreamPlan plan_anthropic_stream(const Behaviour& b, const RequestInfo& info, const AnswerIds& ids,
                                 std::string_view content);

// {"type":"error","error":{"type":..,"message":..}}; an empty message gives the one Anthropic
// uses for that type ("Overloaded" for overloaded_error, ...).
std::string anthropic_error_json(std::string_view type, std::string_view message = "");

// The error Anthropic sends with an HTTP status (404 not_found_error, 529 overloaded_error, ...).
std::string anthropic_status_error_json(int status);

}  // namespace sovgw::fake
