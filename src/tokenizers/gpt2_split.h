#pragma once
// GPT-2's pre-tokenization regex, matched by hand instead of by Oniguruma (whose search took a
// fifth of a byte-level BPE encode's time). The character classes are Oniguruma's own (\s,
// \p{L}, \p{N} of its UTF-8 encoding), so the matches are the regex's, which a test checks on
// every code point.
#include <cstddef>
#include <string_view>

namespace lmpipe::tok {

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
extern const char* const kGpt2SplitPattern;

// The end of the match that starts at byte `from` of the valid UTF-8 text `s` (from < s.size()).
// Every character is covered by some alternative, so a match starts wherever the previous ended.
size_t gpt2_match_end(std::string_view s, size_t from);

}  // namespace lmpipe::tok
