// Port of transformers v5 generation/stopping_criteria.py.
#include "generation/stopping.h"

#include <algorithm>

namespace lmpipe::generation {

namespace {

int64_t count_chars(const std::string& s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

}  // namespace

StopStrings::StopStrings(std::vector<std::string> stop_strings, std::function<std::string(int32_t)> token_text)
    : stop_strings_(std::move(stop_strings)), token_text_(std::move(token_text)) {
  for (const std::string& s : stop_strings_) window_ = std::max(window_, count_chars(s));
}

const std::string& StopStrings::text_of(int32_t id) {
  auto it = texts_.find(id);
  if (it == texts_.end()) it = texts_.emplace(id, token_text_(id)).first;
  return it->second;
}

bool StopStrings::matches(const int32_t* row, int64_t length) {
  if (length == 0) return false;
  // Each token holds at least one character of a match, so `window_` tokens are enough.
  std::string text;
  for (int64_t i = std::max<int64_t>(0, length - window_); i < length; ++i) text += text_of(row[i]);
  const size_t final_begin = text.size() - text_of(row[length - 1]).size();
  for (const std::string& stop : stop_strings_)
    for (size_t end = std::max(final_begin + 1, stop.size()); end <= text.size(); ++end)
      if (text.compare(end - stop.size(), stop.size(), stop) == 0) return true;
  return false;
}

bool StoppingCriteria::done(const int32_t* row, int64_t length) const {
  if (length >= max_length_) return true;
  if (length > 0 && std::find(eos_.begin(), eos_.end(), row[length - 1]) != eos_.end()) return true;
  return stop_strings_ && stop_strings_->matches(row, length);
}

}  // namespace lmpipe::generation
