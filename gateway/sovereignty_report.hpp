// The operator's view of the kill switch, as JSON for the admin API and `sovgw drill`:
//   backends_report  — each backend's state (healthy / open / half_open / cut_off / busy), since
//                      when, the last failure reason; and each model's sovereign readiness (at
//                      least one non-foreign target healthy);
//   drill_report     — "if every foreign provider vanished now, which models keep serving, and
//                      from where?", from the live state, without touching any provider.
// Reads SharedState (health is internally synchronised); any thread.
#pragma once

#include <chrono>
#include <string>

#include "gateway/worker.hpp"

namespace sovgw {

std::string backends_report(const SharedState& shared, std::chrono::steady_clock::time_point now);
// The model keeps serving if every foreign backend vanished: a non-foreign target is healthy or
// half-open (the definition behind backends_report, drill_report and the metrics).
bool sovereign_ready(const SharedState& shared, const ModelConfig& model, std::chrono::steady_clock::time_point now);
std::string drill_report(const SharedState& shared, std::chrono::steady_clock::time_point now);

}  // namespace sovgw
