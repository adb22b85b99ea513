#pragma once
// UTF-8 decoding/encoding and the Unicode character classes the tokenizer components use
// (Rust's char::is_whitespace / is_numeric, Unicode general categories), via utf8proc.
#include <cstddef>
#include <string>
#include <string_view>

namespace lmpipe::tok {

// Decodes the code point at s[i] (s must be valid UTF-8); sets `len` to its byte length.
inline char32_t decode_utf8(std::string_view s, size_t i, size_t& len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) { len = 1; return c; }
  if (c < 0xE0) { len = 2; return ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu); }
  if (c < 0xF0) {
    len = 3;
    return ((c & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
           (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
  }
  len = 4;
  return ((c & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
         ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) | (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
}

// Length of the UTF-8 sequence that starts with byte `lead` (1 for a stray continuation byte).
inline size_t utf8_sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

inline size_t utf8_len(char32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

void append_utf8(std::string& out, char32_t c);

// Byte offset of the first invalid sequence, or npos when `s` is valid UTF-8.
size_t find_invalid_utf8(std::string_view s);

// Number of code points.
size_t count_chars(std::string_view s);

bool is_whitespace(char32_t c);    // Rust char::is_whitespace (White_Space property)
bool is_numeric(char32_t c);       // Rust char::is_numeric (Nd, Nl, No)
bool is_punctuation(char32_t c);   // Unicode categories Pc Pd Ps Pe Pi Pf Po
// The unicode_categories crate's is_other, which HF's BERT normalizer uses: Cc Cf Co, not Cn
// (an unassigned code point is kept, and becomes [UNK]).
bool is_other(char32_t c);
bool is_nonspacing_mark(char32_t c);  // Mn

// Appends the full lowercase mapping of c (Rust char::to_lowercase); returns the number of
// code points appended.
size_t append_lowercase(std::string& out, char32_t c);

}  // namespace lmpipe::tok
