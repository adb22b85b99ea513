// SentencePiece's precompiled_charsmap normalizer (HF tokenizers' normalizers/precompiled.rs
// over the spm_precompiled crate): a darts-clone double-array trie mapping UTF-8 prefixes to
// offsets into a blob of NUL-terminated replacement strings, applied per grapheme.
#include <utf8proc.h>

#include <array>
#include <cstdint>
#include <optional>

#include "tokenizers/normalizer.h"
#include "tokenizers/unicode.h"
#include "util/error.h"

namespace lmpipe::tok {

namespace {

std::string base64_decode(const std::string& in, const std::string& where) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) throw Error(where + ": invalid base64");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

class PrecompiledNormalizer : public Normalizer {
 public:
  PrecompiledNormalizer(const std::string& data, const std::string& where) {
    if (data.size() < 4) throw Error(where + ": precompiled_charsmap is too short");
    uint32_t trie_size = read_u32(data, 0);
    if (4 + static_cast<size_t>(trie_size) > data.size()) throw Error(where + ": precompiled_charsmap is truncated");
    trie_.resize(trie_size / 4);
    for (size_t i = 0; i < trie_.size(); ++i) trie_[i] = read_u32(data, 4 + 4 * i);
    normalized_ = data.substr(4 + trie_size);
    // Replacements are decoded as UTF-8 when applied; spm_precompiled rejects a blob that is not.
    if (find_invalid_utf8(normalized_) != std::string::npos)
      throw Error(where + ": replacement strings are not valid UTF-8");
    for (int b = 0; b < 0x80; ++b) {
      char c = static_cast<char>(b);
      ascii_[b] = transform(std::string_view(&c, 1));
    }
  }

  // ascii_ views normalized_.
  PrecompiledNormalizer(const PrecompiledNormalizer&) = delete;
  PrecompiledNormalizer& operator=(const PrecompiledNormalizer&) = delete;

  void normalize(NormalizedString& s) const override {
    const std::string& text = s.get();
    std::vector<Change> changes;
    changes.reserve(text.size());
    bool modified = false;
    size_t g_start = 0;
    utf8proc_int32_t state = 0;
    char32_t prev = 0;
    auto flush = [&](size_t g_end) {
      std::string_view grapheme(text.data() + g_start, g_end - g_start);
      if (grapheme.size() == 1 && static_cast<unsigned char>(grapheme[0]) < 0x80) {
        if (const auto& norm = ascii_[static_cast<unsigned char>(grapheme[0])]) {
          modified = true;
          replace(changes, grapheme, *norm);
        } else {
          changes.emplace_back(static_cast<char32_t>(grapheme[0]), 0);
        }
        return;
      }
      if (grapheme.size() < 6) {
        if (auto norm = transform(grapheme)) {
          modified = true;
          replace(changes, grapheme, *norm);
          return;
        }
      }
      for (size_t i = 0; i < grapheme.size();) {
        size_t len;
        char32_t c = decode_utf8(grapheme, i, len);
        std::string_view part = grapheme.substr(i, len);
        if (auto norm = transform(part)) {
          modified = true;
          replace(changes, part, *norm);
        } else {
          changes.emplace_back(c, 0);
        }
        i += len;
      }
    };
    for (size_t i = 0; i < text.size();) {
      size_t len;
      char32_t c = decode_utf8(text, i, len);
      bool brk;
      if (i > 0 && prev < 0x80 && c < 0x80) {
        // Between two ASCII characters utf8proc breaks unless CR LF (GB3-5, GB999) and its state
        // becomes the second one's bound class; skipping the call keeps both.
        brk = !(prev == '\r' && c == '\n');
        state = utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->boundclass;
      } else {
        brk = i > 0 && utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(prev), static_cast<utf8proc_int32_t>(c), &state);
      }
      if (brk) {
        flush(i);
        g_start = i;
      }
      prev = c;
      i += len;
    }
    if (!text.empty()) flush(text.size());
    if (modified) s.transform(changes, 0);
  }

 private:
  static uint32_t read_u32(const std::string& d, size_t at) {
    return static_cast<uint32_t>(static_cast<unsigned char>(d[at])) |
           (static_cast<uint32_t>(static_cast<unsigned char>(d[at + 1])) << 8) |
           (static_cast<uint32_t>(static_cast<unsigned char>(d[at + 2])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(d[at + 3])) << 24);
  }

  // The replacement of the shortest prefix of `chunk` in the trie, if any (spm_precompiled).
  std::optional<std::string_view> transform(std::string_view chunk) const {
    auto offset = [](uint32_t unit) -> size_t { return (unit >> 10) << ((unit & (1u << 9)) >> 6); };
    auto label = [](uint32_t unit) -> uint32_t { return unit & ((1u << 31) | 0xFF); };
    auto has_leaf = [](uint32_t unit) { return ((unit >> 8) & 1) == 1; };
    if (trie_.empty()) return std::nullopt;
    size_t node = 0;
    uint32_t unit = trie_[node];
    node ^= offset(unit);
    for (unsigned char c : chunk) {
      if (c == 0) break;
      node ^= c;
      if (node >= trie_.size()) return std::nullopt;
      unit = trie_[node];
      if (label(unit) != c) return std::nullopt;
      node ^= offset(unit);
      if (has_leaf(unit)) {
        if (node >= trie_.size()) return std::nullopt;
        size_t index = trie_[node] & ((1u << 31) - 1);
        if (index >= normalized_.size()) return std::nullopt;
        size_t end = normalized_.find('\0', index);
        if (end == std::string::npos) end = normalized_.size();
        return std::string_view(normalized_).substr(index, end - index);
      }
    }
    return std::nullopt;
  }

  // HF's precompiled.rs `replace`: new characters replace old ones one for one; extra new ones
  // are insertions, missing ones are removals charged to the last character.
  static void replace(std::vector<Change>& changes, std::string_view old_part, std::string_view new_part) {
    int old_count = static_cast<int>(count_chars(old_part));
    int new_count = static_cast<int>(count_chars(new_part));
    int diff = new_count - old_count;
    for (size_t i = 0; i < new_part.size();) {
      size_t len;
      changes.emplace_back(decode_utf8(new_part, i, len), 0);
      i += len;
    }
    if (diff > 0) {
      for (int k = 0; k < diff; ++k) changes[changes.size() - 1 - static_cast<size_t>(k)].second = 1;
    } else if (diff < 0 && !changes.empty()) {
      changes.back().second += diff;
    }
  }

  std::vector<uint32_t> trie_;
  std::string normalized_;
  std::array<std::optional<std::string_view>, 0x80> ascii_;  // transform() of each ASCII byte
};

}  // namespace

std::unique_ptr<Normalizer> make_precompiled_normalizer(const json& j, const std::string& where) {
  const json& map = json_field(j, "precompiled_charsmap", where);
  if (!map.is_string()) throw Error(where + ".precompiled_charsmap: expected a base64 string");
  return std::make_unique<PrecompiledNormalizer>(base64_decode(map.get<std::string>(), where + ".precompiled_charsmap"),
                                                 where + ".precompiled_charsmap");
}

}  // namespace lmpipe::tok
