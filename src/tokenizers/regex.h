#pragma once
// A compiled Oniguruma regular expression (HF tokenizers' SysRegex, which is Oniguruma too),
// immutable and safe to search from many threads.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizers/normalized_string.h"

namespace lmpipe::tok {

class Regex {
 public:
  // Throws lmpipe::Error naming `where` when the pattern does not compile.
  Regex(const std::string& pattern, const std::string& where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Non-overlapping matches, left to right, as a cover of `s` (HF's Pattern for SysRegex).
  std::vector<PatternPiece> find_matches(std::string_view s) const;
  // Calls fn(start, end) for each match.
  template <typename Fn>
  void for_each_match(std::string_view s, Fn&& fn) const;

 private:
  bool search(std::string_view s, size_t from, size_t& start, size_t& end) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

template <typename Fn>
void Regex::for_each_match(std::string_view s, Fn&& fn) const {
  size_t from = 0, start, end;
  while (from <= s.size() && search(s, from, start, end)) {
    fn(start, end);
    // An empty match moves on by one character so the search ends.
    if (end == start) {
      if (end >= s.size()) break;
      size_t next = end + 1;
      while (next < s.size() && (static_cast<unsigned char>(s[next]) & 0xC0) == 0x80) ++next;
      from = next;
    } else {
      from = end;
    }
  }
}

}  // namespace lmpipe::tok
