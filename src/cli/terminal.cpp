#include "cli/terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

#include "util/error.h"
#include "util/log.h"

namespace lmpipe::cli {

namespace {

constexpr size_t kOutputBuffer = 1 << 16;

bool closed_at_start[3] = {false, false, false};

std::mutex& terminal_mutex() {
  static std::mutex m;
  return m;
}

// Writes everything, retrying short writes; returns errno on failure, 0 on success.
int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

// The terminal's width, so the progress line never wraps (a wrapped line cannot be cleared).
size_t terminal_columns() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1) return size.ws_col;
  return 80;
}

}  // namespace

void Output::write(std::string_view text) {
  buffer_.append(text);
  if (buffer_.size() >= kOutputBuffer) flush();
}

void Output::flush() {
  if (buffer_.empty()) return;
  require_open();
  if (::isatty(STDOUT_FILENO)) terminal().clear_progress();
  int error = write_all(STDOUT_FILENO, buffer_);
  buffer_.clear();
  if (error == EPIPE) throw BrokenPipe();
  if (error != 0) throw Error(std::string("cannot write to standard output: ") + std::strerror(error));
}

void Output::require_open() const {
  if (closed_at_start[STDOUT_FILENO])
    throw Error("standard output is closed: there is nowhere to write the results (redirect it to a file or a pipe)");
}

Output& out() {
  static Output output;
  return output;
}

Terminal::Terminal() : tty_(::isatty(STDERR_FILENO) != 0) {}

void Terminal::message(const std::string& line) {
  std::lock_guard<std::mutex> lock(terminal_mutex());
  std::string text = progress_shown_ ? "\r\x1b[K" : "";
  progress_shown_ = false;
  text += line;
  text += '\n';
  write_all(STDERR_FILENO, text);  // stderr failing leaves nowhere to report it
}

void Terminal::progress(const std::string& text) {
  if (!tty_) return;
  std::lock_guard<std::mutex> lock(terminal_mutex());
  size_t columns = terminal_columns() - 1;
  write_all(STDERR_FILENO, "\r" + (text.size() > columns ? text.substr(0, columns) : text) + "\x1b[K");
  progress_shown_ = true;
}

void Terminal::clear_progress() {
  std::lock_guard<std::mutex> lock(terminal_mutex());
  if (!progress_shown_) return;
  write_all(STDERR_FILENO, "\r\x1b[K");
  progress_shown_ = false;
}

Terminal& terminal() {
  static Terminal t;
  return t;
}

void init_standard_streams() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    closed_at_start[fd] = true;
    int null = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (null >= 0 && null != fd) {
      ::dup2(null, fd);
      ::close(null);
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  set_log_sink([](const std::string& line) {
    std::string text = line;
    if (!text.empty() && text.back() == '\n') text.pop_back();
    terminal().message(text);
  });
  log_level();  // an LMPIPE_LOG that is not a level is warned about now, once
}

bool stdin_was_closed() { return closed_at_start[STDIN_FILENO]; }

}  // namespace lmpipe::cli
