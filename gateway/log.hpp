// Process log: one line per event on stderr, `TIME LEVEL message`. For operators, not for audit;
// messages never contain prompt text or secrets (callers pass error details and names only).
// Thread-safe (each line is one write).
#pragma once

#include <string_view>

namespace sovgw {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view message);

inline void log_info(std::string_view message) { log(LogLevel::kInfo, message); }
inline void log_warn(std::string_view message) { log(LogLevel::kWarn, message); }
inline void log_error(std::string_view message) { log(LogLevel::kError, message); }

}  // namespace sovgw
