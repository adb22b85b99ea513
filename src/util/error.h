#pragma once
// One exception type for every user-facing failure. The message names the file, field or
// argument at fault, so a caller can print it as is.
#include <stdexcept>
#include <string>

namespace lmpipe {

// What kind of failure, for callers that map errors onto their own (the Python bindings raise
// ValueError / OSError, as transformers does). Most throw sites leave it unspecified:
// Pipeline::operator() throws unspecified errors for invalid arguments (pipeline.h).
enum class ErrorKind {
  unspecified,
  invalid_argument,  // a caller's argument: an unknown task, a bad keyword argument
  io,                // a model, file or directory that is missing or unreadable, or a Hub that cannot be reached
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ErrorKind kind = ErrorKind::unspecified)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace lmpipe
