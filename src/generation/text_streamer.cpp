// Port of transformers generation/streamers.py (TextStreamer.put / end / _is_chinese_char).
#include "generation/text_streamer.h"

#include "tokenizers/unicode.h"

namespace lmpipe::generation {

namespace {

// The CJK Unified Ideographs blocks (BERT's definition of a Chinese character).
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// Byte offset of character `chars` in valid UTF-8 text (its size when past the end).
size_t byte_offset(const std::string& text, size_t chars) {
  size_t i = 0;
  for (; i < text.size() && chars > 0; --chars) i += tok::utf8_sequence_length(static_cast<unsigned char>(text[i]));
  return std::min(i, text.size());
}

char32_t last_char(const std::string& text) {
  size_t i = text.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
  size_t len = 0;
  return tok::decode_utf8(text, i, len);
}

}  // namespace

TextStreamer::TextStreamer(const Tokenizer& tokenizer, bool skip_prompt,
                           std::function<void(const std::string&, bool)> on_text)
    : tokenizer_(tokenizer), skip_prompt_(skip_prompt), on_text_(std::move(on_text)) {}

void TextStreamer::put(const std::vector<int32_t>& ids) {
  if (skip_prompt_ && next_is_prompt_) {
    next_is_prompt_ = false;
    return;
  }
  next_is_prompt_ = false;
  tokens_.insert(tokens_.end(), ids.begin(), ids.end());
  const std::string text = tokenizer_.decode(tokens_, /*skip_special_tokens=*/true);
  const size_t from = byte_offset(text, printed_chars_);
  std::string printable;
  if (!text.empty() && text.back() == '\n') {
    printable = text.substr(from);
    tokens_.clear();
    printed_chars_ = 0;
  } else if (!text.empty() && is_chinese_char(last_char(text))) {
    printable = text.substr(from);
    printed_chars_ += tok::count_chars(printable);
  } else {
    const size_t space = text.rfind(' ');
    const size_t until = space == std::string::npos ? 0 : space + 1;
    if (until > from) printable = text.substr(from, until - from);
    printed_chars_ += tok::count_chars(printable);
  }
  on_text_(printable, false);
}

void TextStreamer::end() {
  std::string printable;
  if (!tokens_.empty()) {
    const std::string text = tokenizer_.decode(tokens_, /*skip_special_tokens=*/true);
    printable = text.substr(byte_offset(text, printed_chars_));
    tokens_.clear();
    printed_chars_ = 0;
  }
  next_is_prompt_ = true;
  on_text_(printable, true);
}

}  // namespace lmpipe::generation
