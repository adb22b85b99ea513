#pragma once
// GPT-2's reversible byte <-> printable-character map (HF tokenizers' bytes_char): byte-level BPE
// maps every input byte to one code point so that the vocabulary holds no control characters.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace lmpipe::tok {

// The code point that stands for byte b.
char32_t byte_to_char(uint8_t b);
// The byte a code point stands for, if it is one of the 256.
std::optional<uint8_t> char_to_byte(char32_t c);
// UTF-8 encoding of byte_to_char(b), cached.
const std::string& byte_to_utf8(uint8_t b);

}  // namespace lmpipe::tok
