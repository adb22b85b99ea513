#pragma once
// Warnings for the user on stderr, like transformers' logger.warning. LMPIPE_LOG=error silences them.
#include <string>

namespace lmpipe {

void log_warning(const std::string& message);
// Once per distinct message for the life of the process (e.g. a per-model warning).
void log_warning_once(const std::string& message);

}  // namespace lmpipe
