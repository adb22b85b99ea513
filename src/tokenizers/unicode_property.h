#pragma once
// Unicode properties as Oniguruma's tables define them. HF tokenizers matches its regexes with
// Oniguruma and Rust's regex crate, so asking the same kind of table (rather than utf8proc's
// categories) gives the same character classes, properties such as Alphabetic included.
#include <cstdint>
#include <string_view>
#include <vector>

namespace lmpipe::tok {

// Initializes Oniguruma for UTF-8, once per process; every user of Oniguruma calls it first.
void init_oniguruma();

class UnicodeProperty {
 public:
  // A property or general category name as in a regex's \p{...}: "L", "Nd", "Alphabetic", ...
  // Throws lmpipe::Error when Oniguruma does not know it.
  explicit UnicodeProperty(std::string_view name);
  bool contains(char32_t c) const {
    return c < 0x10000 ? (bmp_[c >> 6] >> (c & 63)) & 1 : contains_astral(c);
  }

 private:
  bool contains_astral(char32_t c) const;
  unsigned int ctype_;
  std::vector<uint64_t> bmp_;  // one bit per code point below U+10000, asked once
};

}  // namespace lmpipe::tok
