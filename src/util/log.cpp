#include "util/log.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <set>

namespace lmpipe {

namespace {

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}

std::function<void(const std::string&)>& sink() {
  static std::function<void(const std::string&)> s;
  return s;
}

void emit(const std::string& line) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  if (sink()) {
    sink()(line);
    return;
  }
  // write(2) rather than std::cerr: unbuffered, and usable from any thread.
  for (size_t done = 0; done < line.size();) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return;  // nowhere left to report it
    done += static_cast<size_t>(n);
  }
}

void log_at(LogLevel level, const char* tag, const std::string& message) {
  if (log_enabled(level)) emit(std::string("lmpipe: ") + tag + message + "\n");
}

}  // namespace

LogLevel log_level() {
  static const LogLevel level = [] {
    const char* env = std::getenv("LMPIPE_LOG");
    std::string value = env ? env : "";
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::tolower(c); });
    if (value.empty() || value == "warning") return LogLevel::Warning;
    if (value == "debug") return LogLevel::Debug;
    if (value == "info") return LogLevel::Info;
    if (value == "error") return LogLevel::Error;
    if (value == "off") return LogLevel::Off;
    emit("lmpipe: warning: LMPIPE_LOG='" + std::string(env) +
         "' is not a log level (debug, info, warning, error, off); using warning\n");
    return LogLevel::Warning;
  }();
  return level;
}

void log_debug(const std::string& message) { log_at(LogLevel::Debug, "debug: ", message); }
void log_info(const std::string& message) { log_at(LogLevel::Info, "info: ", message); }
void log_warning(const std::string& message) { log_at(LogLevel::Warning, "warning: ", message); }
void log_error(const std::string& message) { log_at(LogLevel::Error, "error: ", message); }

void log_warning_once(const std::string& message) {
  static std::mutex mutex;
  static std::set<std::string> seen;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!seen.insert(message).second) return;
  }
  log_warning(message);
}

void set_log_sink(std::function<void(const std::string& line)> s) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  sink() = std::move(s);
}

}  // namespace lmpipe
