// Ports of HF tokenizers' decoders/*.rs (and the Decoder halves of pre_tokenizers/byte_level.rs,
// pre_tokenizers/metaspace.rs, normalizers/replace.rs): each step maps the token strings to new
// ones; decode() runs the chain and concatenates.
#include <charconv>

#include "tokenizers/byte_level.h"
#include "tokenizers/decoder.h"
#include "tokenizers/pattern.h"
#include "tokenizers/unicode.h"
#include "util/error.h"

namespace lmpipe::tok {

namespace {

// Decodes one code point at s[i] (valid UTF-8 expected); advances i.
char32_t next_char(std::string_view s, size_t& i) {
  unsigned char b = static_cast<unsigned char>(s[i]);
  size_t n = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 1;
  if (i + n > s.size()) n = 1;
  char32_t c = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += n;
  return c;
}

std::vector<char32_t> to_chars(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) out.push_back(next_char(s, i));
  return out;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out.append(to);
  }
  out.append(s, pos, std::string::npos);
  return out;
}

// HF's decoders::wordpiece::cleanup.
std::string cleanup(std::string s) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},           {" ,", ","},     {" ' ", "'"},    {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) s = replace_all(std::move(s), from, to);
  return s;
}

char32_t single_char(const json& j, const char* key, const std::string& where) {
  std::string s = json_get<std::string>(j, key, where);
  size_t i = 0;
  char32_t c = s.empty() ? 0 : next_char(s, i);
  if (s.empty() || i != s.size()) throw Error(where + "." + key + " must be exactly one character");
  return c;
}

using Tokens = std::vector<std::string>;

class ByteLevelDecoder final : public Decoder {
 public:
  Tokens decode_chain(Tokens tokens) const override {
    std::string bytes;
    for (const std::string& t : tokens) {
      size_t mark = bytes.size();
      bool all = true;
      for (size_t i = 0; i < t.size() && all;) {
        auto b = char_to_byte(next_char(t, i));
        if (b) bytes += static_cast<char>(*b);
        else all = false;
      }
      // A token with a character outside the byte map contributes its raw UTF-8.
      if (!all) bytes.replace(mark, std::string::npos, t);
    }
    return {utf8_lossy(bytes)};
  }
};

class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  Tokens decode_chain(Tokens tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i != 0) {
        if (t.compare(0, prefix_.size(), prefix_) == 0) t.erase(0, prefix_.size());
        else t = " " + t;
      }
      if (cleanup_) t = cleanup(std::move(t));
    }
    return tokens;
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(char32_t replacement, bool strip_first) : replacement_(replacement), strip_first_(strip_first) {}
  Tokens decode_chain(Tokens tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const std::string& t = tokens[i];
      for (size_t k = 0; k < t.size();) {
        size_t begin = k;
        char32_t c = next_char(t, k);
        if (c != replacement_) out.append(t, begin, k - begin);
        else if (!(i == 0 && strip_first_)) out += ' ';  // every replacement of the first token goes, as in HF
      }
      tokens[i] = std::move(out);
    }
    return tokens;
  }

 private:
  char32_t replacement_;
  bool strip_first_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(const json& pattern, std::string content, const std::string& where)
      : pattern_(pattern, where + ".pattern"), content_(std::move(content)) {}
  Tokens decode_chain(Tokens tokens) const override {
    for (std::string& t : tokens) {
      std::string out;
      for (const PatternPiece& p : pattern_.find_matches(t)) {
        if (p.is_match) out += content_;
        else out.append(t, p.start, p.end - p.start);
      }
      t = std::move(out);
    }
    return tokens;
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class ByteFallbackDecoder final : public Decoder {
 public:
  Tokens decode_chain(Tokens tokens) const override {
    Tokens out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (is_valid_utf8(pending)) out.push_back(pending);
      else
        for (size_t k = 0; k < pending.size(); ++k) out.push_back("\xEF\xBF\xBD");
      pending.clear();
    };
    for (std::string& t : tokens) {
      unsigned value = 0;
      bool is_byte = t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' &&
                     std::from_chars(t.data() + 3, t.data() + 5, value, 16).ptr == t.data() + 5;
      if (is_byte) {
        pending += static_cast<char>(value);
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    return out;
  }
};

class FuseDecoder final : public Decoder {
 public:
  Tokens decode_chain(Tokens tokens) const override {
    std::string all;
    for (const std::string& t : tokens) all += t;
    return {all};
  }
};

class StripDecoder final : public Decoder {
 public:
  StripDecoder(char32_t content, size_t start, size_t stop) : content_(content), start_(start), stop_(stop) {}
  Tokens decode_chain(Tokens tokens) const override {
    for (std::string& t : tokens) {
      std::vector<char32_t> chars = to_chars(t);
      size_t start_cut = 0;
      for (size_t i = 0; i < std::min(start_, chars.size()) && chars[i] == content_; ++i) start_cut = i + 1;
      size_t stop_cut = chars.size();
      for (size_t i = 0; i < std::min(stop_, chars.size() - start_cut); ++i) {
        size_t index = chars.size() - i - 1;
        if (chars[index] != content_) break;
        stop_cut = index;
      }
      std::string out;
      for (size_t i = start_cut; i < stop_cut; ++i) append_utf8(out, chars[i]);
      t = std::move(out);
    }
    return tokens;
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

class BpeDecoder final : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  Tokens decode_chain(Tokens tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i)
      tokens[i] = replace_all(std::move(tokens[i]), suffix_, i + 1 == tokens.size() ? "" : " ");
    return tokens;
  }

 private:
  std::string suffix_;
};

class CtcDecoder final : public Decoder {
 public:
  CtcDecoder(std::string pad, std::string delimiter, bool cleanup)
      : pad_(std::move(pad)), delimiter_(std::move(delimiter)), cleanup_(cleanup) {}
  Tokens decode_chain(Tokens tokens) const override {
    Tokens out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && tokens[i] == tokens[i - 1]) continue;  // collapse repeats
      std::string t = replace_all(tokens[i], pad_, "");
      if (cleanup_) t = replace_all(cleanup(std::move(t)), delimiter_, " ");
      if (!t.empty()) out.push_back(std::move(t));
    }
    return out;
  }

 private:
  std::string pad_, delimiter_;
  bool cleanup_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  Tokens decode_chain(Tokens tokens) const override {
    for (const auto& step : steps_) tokens = step->decode_chain(std::move(tokens));
    return tokens;
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

template <typename T>
T get_or(const json& j, const char* key, T fallback, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return json_get<T>(j, key, where);
}

}  // namespace

bool is_valid_utf8(std::string_view s) { return utf8_lossy(s) == s; }

std::string utf8_lossy(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    // Expected length and the allowed range of the second byte (Unicode table 3-7).
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) need = 2;
    else if (b == 0xE0) need = 3, lo = 0xA0;
    else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) need = 3;
    else if (b == 0xED) need = 3, hi = 0x9F;
    else if (b == 0xF0) need = 4, lo = 0x90;
    else if (b >= 0xF1 && b <= 0xF3) need = 4;
    else if (b == 0xF4) need = 4, hi = 0x8F;
    else need = 0;
    size_t k = 1;
    if (need) {
      for (; k < need && i + k < s.size(); ++k) {
        unsigned char c = static_cast<unsigned char>(s[i + k]);
        unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (c < l || c > h) break;
      }
    }
    if (need && k == need) {
      out.append(s.substr(i, need));
    } else {
      out += "\xEF\xBF\xBD";  // one U+FFFD per maximal invalid prefix
    }
    i += k;
  }
  return out;
}

std::string Decoder::decode(std::vector<std::string> tokens) const {
  std::string out;
  for (const std::string& t : decode_chain(std::move(tokens))) out += t;
  return out;
}

std::unique_ptr<Decoder> decoder_from_json(const json& d, const std::string& where) {
  if (!d.is_object()) throw Error(where + " must be an object");
  const std::string type = json_get<std::string>(d, "type", where);
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "WordPiece")
    return std::make_unique<WordPieceDecoder>(get_or<std::string>(d, "prefix", "##", where), get_or<bool>(d, "cleanup", true, where));
  if (type == "Metaspace") {
    bool strip_first = true;
    if (auto it = d.find("prepend_scheme"); it != d.end() && !it->is_null()) {
      std::string scheme = json_get<std::string>(d, "prepend_scheme", where);
      if (scheme != "always" && scheme != "never" && scheme != "first")
        throw Error(where + ".prepend_scheme '" + scheme + "' is not one of always, never, first");
      strip_first = scheme != "never";
    } else {
      strip_first = get_or<bool>(d, "add_prefix_space", true, where);
    }
    return std::make_unique<MetaspaceDecoder>(single_char(d, "replacement", where), strip_first);
  }
  if (type == "Replace")
    return std::make_unique<ReplaceDecoder>(json_field(d, "pattern", where), json_get<std::string>(d, "content", where), where);
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip")
    return std::make_unique<StripDecoder>(single_char(d, "content", where), json_get<size_t>(d, "start", where), json_get<size_t>(d, "stop", where));
  if (type == "BPEDecoder") return std::make_unique<BpeDecoder>(get_or<std::string>(d, "suffix", "</w>", where));
  if (type == "CTC")
    return std::make_unique<CtcDecoder>(get_or<std::string>(d, "pad_token", "<pad>", where),
                                        get_or<std::string>(d, "word_delimiter_token", "|", where), get_or<bool>(d, "cleanup", true, where));
  if (type == "Sequence") {
    const json& list = json_field(d, "decoders", where);
    if (!list.is_array()) throw Error(where + ".decoders must be an array");
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list.size(); ++i) steps.push_back(decoder_from_json(list[i], where + ".decoders[" + std::to_string(i) + "]"));
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  throw Error(where + ".type '" + type + "' is not supported");
}

}  // namespace lmpipe::tok
