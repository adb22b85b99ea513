#include "tokenizers/byte_level.h"

#include <unordered_map>

#include "tokenizers/unicode.h"

namespace lmpipe::tok {

namespace {

struct Tables {
  std::array<char32_t, 256> to_char{};
  std::array<std::string, 256> to_utf8;
  std::unordered_map<char32_t, uint8_t> to_byte;
  Tables() {
    // Printable Latin-1 bytes map to themselves; the rest to 256, 257, ... in byte order.
    auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      to_char[b] = printable(b) ? static_cast<char32_t>(b) : next++;
      append_utf8(to_utf8[b], to_char[b]);
      to_byte[to_char[b]] = static_cast<uint8_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

char32_t byte_to_char(uint8_t b) { return tables().to_char[b]; }

std::optional<uint8_t> char_to_byte(char32_t c) {
  auto it = tables().to_byte.find(c);
  if (it == tables().to_byte.end()) return std::nullopt;
  return it->second;
}

const std::string& byte_to_utf8(uint8_t b) { return tables().to_utf8[b]; }

}  // namespace lmpipe::tok
