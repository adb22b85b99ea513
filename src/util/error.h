#pragma once
// One exception type for every user-facing failure. The message names the file, field or
// argument at fault, so a caller can print it as is.
#include <stdexcept>
#include <string>

namespace lmpipe {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace lmpipe
