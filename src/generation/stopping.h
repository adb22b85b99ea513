#pragma once
// transformers' stopping criteria (generation/stopping_criteria.py): MaxLengthCriteria,
// EosTokenCriteria and StopStringCriteria, OR-ed per row.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

namespace lmpipe::generation {

// StopStringCriteria: a row is done when one of the stop strings occurs in the text of its last
// tokens and ends inside the final token (so each occurrence is seen once, when it completes).
// The window is the last max(len(stop string)) tokens, which may reach into the prompt.
class StopStrings {
 public:
  // token_text(id): the token's text as it reads inside a sequence (see token_surface_text).
  StopStrings(std::vector<std::string> stop_strings, std::function<std::string(int32_t)> token_text);
  bool matches(const int32_t* row, int64_t length);

 private:
  const std::string& text_of(int32_t id);

  std::vector<std::string> stop_strings_;
  int64_t window_ = 0;  // tokens: the longest stop string's length in characters
  std::function<std::string(int32_t)> token_text_;
  std::unordered_map<int32_t, std::string> texts_;
};

class StoppingCriteria {
 public:
  StoppingCriteria(int64_t max_length, std::vector<int64_t> eos, StopStrings* stop_strings)
      : max_length_(max_length), eos_(std::move(eos)), stop_strings_(stop_strings) {}
  // Whether the row of `length` ids is done.
  bool done(const int32_t* row, int64_t length) const;
  bool has_eos() const { return !eos_.empty(); }

 private:
  int64_t max_length_;
  std::vector<int64_t> eos_;
  StopStrings* stop_strings_;
};

}  // namespace lmpipe::generation
