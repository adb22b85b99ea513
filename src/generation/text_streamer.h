#pragma once
// transformers' TextStreamer (generation/streamers.py): decodes the tokens seen so far and hands
// on text once it is final: up to the last space, a whole line at a newline, right away after a
// CJK character (those are not separated by spaces), and the rest at the end.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lmpipe/tokenizer.h"

namespace lmpipe::generation {

class TextStreamer {
 public:
  // on_text(text, stream_end): finalized text, then "" or the remainder with stream_end = true.
  // skip_prompt drops the first put() (the prompt). Decoding skips special tokens.
  TextStreamer(const Tokenizer& tokenizer, bool skip_prompt, std::function<void(const std::string&, bool)> on_text);
  void put(const std::vector<int32_t>& ids);
  void end();

 private:
  const Tokenizer& tokenizer_;
  bool skip_prompt_, next_is_prompt_ = true;
  std::function<void(const std::string&, bool)> on_text_;
  std::vector<int32_t> tokens_;
  size_t printed_chars_ = 0;  // characters of decode(tokens_) already handed on
};

}  // namespace lmpipe::generation
