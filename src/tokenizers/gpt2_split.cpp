#include "tokenizers/gpt2_split.h"

#include <cstdint>
#include <vector>

#include "tokenizers/unicode.h"
#include "tokenizers/unicode_property.h"

namespace lmpipe::tok {

const char* const kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

enum Class : uint8_t { kSpace, kLetter, kNumber, kOther };

// One table for the three classes, so a character costs one lookup; built from Oniguruma's
// \s, \p{L} and \p{N} (the regex's own tables).
class Classes {
 public:
  Classes() : space_("Space"), letter_("L"), number_("N") {
    bmp_.resize(0x10000);
    for (char32_t c = 0; c < bmp_.size(); ++c) bmp_[c] = ask(c);
  }
  Class of(char32_t c) const { return c < bmp_.size() ? static_cast<Class>(bmp_[c]) : ask(c); }

 private:
  Class ask(char32_t c) const {
    if (space_.contains(c)) return kSpace;
    if (letter_.contains(c)) return kLetter;
    if (number_.contains(c)) return kNumber;
    return kOther;
  }
  UnicodeProperty space_, letter_, number_;
  std::vector<uint8_t> bmp_;  // Class per code point below U+10000
};

const Classes& classes() {
  static const Classes table;
  return table;
}

// The class of the character at byte i, and its length in bytes.
Class class_at(const Classes& t, std::string_view s, size_t i, size_t& len) {
  return t.of(decode_utf8(s, i, len));
}

// The end of the run of class `k` characters that starts at i.
size_t run_end(const Classes& t, std::string_view s, size_t i, Class k) {
  size_t len;
  while (i < s.size() && class_at(t, s, i, len) == k) i += len;
  return i;
}

bool is_contraction(std::string_view s, size_t i) {  // 's 't 'm 'd at i, after the quote
  char c = s[i];
  return c == 's' || c == 't' || c == 'm' || c == 'd';
}

bool is_long_contraction(std::string_view s, size_t i) {  // 're 've 'll
  std::string_view two = s.substr(i, 2);
  return two == "re" || two == "ve" || two == "ll";
}

}  // namespace

size_t gpt2_match_end(std::string_view s, size_t from) {
  const Classes& t = classes();
  size_t n = s.size();
  if (s[from] == '\'' && from + 1 < n) {
    if (is_contraction(s, from + 1)) return from + 2;
    if (is_long_contraction(s, from + 1)) return from + 3;
  }
  size_t len;
  // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: a space joins the run that follows it.
  if (s[from] == ' ' && from + 1 < n) {
    Class next = class_at(t, s, from + 1, len);
    if (next != kSpace) return run_end(t, s, from + 1 + len, next);
  }
  Class k = class_at(t, s, from, len);
  if (k != kSpace) return run_end(t, s, from + len, k);
  // `\s+(?!\S)`: a whitespace run stops before its last character when a non-space follows,
  // so that character can lead the next word; `\s+` when the run is that one character.
  size_t last = from, end = from;
  while (end < n && class_at(t, s, end, len) == kSpace) {
    last = end;
    end += len;
  }
  if (end == n || last == from) return end;
  return last;
}

}  // namespace lmpipe::tok
