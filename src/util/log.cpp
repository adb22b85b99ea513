#include "util/log.h"

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <set>

namespace lmpipe {

namespace {
bool warnings_enabled() {
  static const bool enabled = [] {
    const char* level = std::getenv("LMPIPE_LOG");
    return level == nullptr || std::strcmp(level, "error") != 0;
  }();
  return enabled;
}
}  // namespace

void log_warning(const std::string& message) {
  if (warnings_enabled()) std::cerr << "lmpipe: warning: " << message << "\n";
}

void log_warning_once(const std::string& message) {
  static std::mutex mutex;
  static std::set<std::string> seen;
  std::lock_guard<std::mutex> lock(mutex);
  if (seen.insert(message).second) log_warning(message);
}

}  // namespace lmpipe
