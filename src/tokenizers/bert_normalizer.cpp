// BertNormalizer (HF tokenizers' normalizers/bert.rs): clean text, space out CJK characters,
// strip accents (defaults to `lowercase`), lowercase.
#include <utf8proc.h>

#include "tokenizers/normalizer.h"
#include "tokenizers/unicode.h"

namespace lmpipe::tok {

namespace {

bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool is_bert_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  return is_other(c);
}

class BertNormalizer : public Normalizer {
 public:
  BertNormalizer(bool clean_text, bool chinese, bool strip_accents, bool lowercase)
      : clean_text_(clean_text), chinese_(chinese), strip_accents_(strip_accents), lowercase_(lowercase) {}

  void normalize(NormalizedString& s) const override {
    if (clean_text_) {
      bool dirty = false;
      const std::string& t = s.get();
      for (size_t i = 0; i < t.size() && !dirty;) {
        size_t len;
        char32_t c = decode_utf8(t, i, len);
        dirty = c == 0 || c == 0xFFFD || is_bert_control(c) || (c != ' ' && is_whitespace(c));
        i += len;
      }
      if (dirty) {
        s.filter([](char32_t c) { return !(c == 0 || c == 0xFFFD || is_bert_control(c)); });
        std::vector<Change> changes;
        const std::string& u = s.get();
        changes.reserve(u.size());
        for (size_t i = 0; i < u.size();) {
          size_t len;
          char32_t c = decode_utf8(u, i, len);
          changes.emplace_back(is_whitespace(c) ? U' ' : c, 0);
          i += len;
        }
        s.transform(changes, 0);
      }
    }
    if (chinese_) {
      const std::string& t = s.get();
      bool any = false;
      for (size_t i = 0; i < t.size() && !any;) {
        size_t len;
        any = is_chinese_char(decode_utf8(t, i, len));
        i += len;
      }
      if (any) {
        std::vector<Change> changes;
        changes.reserve(t.size() + 8);
        for (size_t i = 0; i < t.size();) {
          size_t len;
          char32_t c = decode_utf8(t, i, len);
          if (is_chinese_char(c)) {
            changes.emplace_back(U' ', 0);
            changes.emplace_back(c, 1);
            changes.emplace_back(U' ', 1);
          } else {
            changes.emplace_back(c, 0);
          }
          i += len;
        }
        s.transform(changes, 0);
      }
    }
    if (strip_accents_) {
      unicode_normalize(s, UnicodeForm::NFD);
      s.filter([](char32_t c) { return c < 0x300 || !is_nonspacing_mark(c); });
    }
    if (lowercase_) s.lowercase();
  }

 private:
  bool clean_text_, chinese_, strip_accents_, lowercase_;
};

}  // namespace

std::unique_ptr<Normalizer> make_bert_normalizer(const json& j, const std::string&) {
  bool lowercase = json_get_or<bool>(j, "lowercase", true);
  bool strip = json_get_or<bool>(j, "strip_accents", lowercase);
  return std::make_unique<BertNormalizer>(json_get_or<bool>(j, "clean_text", true),
                                          json_get_or<bool>(j, "handle_chinese_chars", true), strip, lowercase);
}

}  // namespace lmpipe::tok
