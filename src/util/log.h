#pragma once
// Messages for the user on stderr, like transformers' logger. LMPIPE_LOG sets the level, in any
// case: debug, info, warning (the default), error, off; another value is warned about once.
#include <functional>
#include <string>

namespace lmpipe {

enum class LogLevel { Debug, Info, Warning, Error, Off };

// The level from LMPIPE_LOG, read once.
LogLevel log_level();
inline bool log_enabled(LogLevel level) { return level >= log_level() && level != LogLevel::Off; }

void log_debug(const std::string& message);
void log_info(const std::string& message);
void log_warning(const std::string& message);
void log_error(const std::string& message);
// Once per distinct message for the life of the process (e.g. a per-model warning).
void log_warning_once(const std::string& message);

// Where enabled messages go, as whole lines ("lmpipe: warning: ...\n"): stderr by default. The
// command line routes them through its terminal so that a progress line is cleared first.
// Calls are serialized; the sink must not log.
void set_log_sink(std::function<void(const std::string& line)> sink);

}  // namespace lmpipe
