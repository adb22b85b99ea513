#pragma once
// The command line's two output streams. stdout (out()) carries results and is written with
// write(2), so a failed write (disk full, closed) is an error at once rather than a silent loss
// at exit. stderr (terminal()) carries messages for people and, when it is a terminal, one
// progress line that is cleared before anything else is written to either stream.
#include <exception>
#include <string>
#include <string_view>

namespace lmpipe::cli {

// The reader of stdout went away (EPIPE): the command stops quietly.
struct BrokenPipe : std::exception {
  const char* what() const noexcept override { return "broken pipe"; }
};

class Output {
 public:
  // Buffers; writes out once the buffer is large.
  void write(std::string_view text);
  // Writes the buffer. Throws BrokenPipe on EPIPE, lmpipe::Error for any other failure
  // ("cannot write to standard output: No space left on device").
  void flush();
  // Throws lmpipe::Error when stdout was closed when lmpipe started: checked before a command
  // does any work whose results would have nowhere to go.
  void require_open() const;

 private:
  std::string buffer_;
};
Output& out();

class Terminal {
 public:
  bool is_terminal() const { return tty_; }
  // One line of text for people (no trailing newline), after clearing the progress line.
  void message(const std::string& line);
  // Redraws the progress line (stderr is a terminal only).
  void progress(const std::string& text);
  void clear_progress();

 private:
  friend Terminal& terminal();
  Terminal();
  bool tty_;
  bool progress_shown_ = false;
};
Terminal& terminal();

// Once at start-up: keeps file descriptors 0-2 taken (/dev/null where one was closed, so a file
// opened later cannot become "stdout"; the closure is remembered), ignores SIGPIPE (a closed
// pipe is then EPIPE, see BrokenPipe), and routes the library's log lines through terminal().
void init_standard_streams();
bool stdin_was_closed();

}  // namespace lmpipe::cli
