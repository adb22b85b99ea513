// NFC/NFD/NFKC/NFKD, Lowercase and StripAccents (HF tokenizers' normalizers/unicode.rs,
// strip.rs, utils.rs Lowercase). utf8proc normalizes; alignments are kept per run of a
// starter and the marks that follow it.
#include <utf8proc.h>

#include <cstdlib>

#include "tokenizers/normalizer.h"
#include "tokenizers/unicode.h"

namespace lmpipe::tok {

namespace {

int utf8proc_options(UnicodeForm form) {
  switch (form) {
    case UnicodeForm::NFC: return UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    case UnicodeForm::NFD: return UTF8PROC_STABLE | UTF8PROC_DECOMPOSE;
    case UnicodeForm::NFKC: return UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
    case UnicodeForm::NFKD: return UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
  }
  return 0;
}

std::string map_utf8proc(std::string_view s, int options) {
  utf8proc_uint8_t* out = nullptr;
  auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
                        &out, static_cast<utf8proc_option_t>(options));
  if (n < 0) return std::string(s);
  std::string r(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  std::free(out);
  return r;
}

// Whether c begins a new normalization run: a starter that does not compose with what precedes.
bool starts_run(char32_t c) {
  if (c >= 0x1161 && c <= 0x11C2) return false;  // Hangul medial/final jamo compose backwards
  return utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class == 0;
}

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(UnicodeForm form) : form_(form) {}
  void normalize(NormalizedString& s) const override { unicode_normalize(s, form_); }

 private:
  UnicodeForm form_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override { s.lowercase(); }
};

class StripAccentsNormalizer : public Normalizer {
 public:
  void normalize(NormalizedString& s) const override {
    s.filter([](char32_t c) {
      if (c < 0x300) return true;
      auto k = utf8proc_category(static_cast<utf8proc_int32_t>(c));
      return !(k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_MC || k == UTF8PROC_CATEGORY_ME);
    });
  }
};

}  // namespace

void unicode_normalize(NormalizedString& s, UnicodeForm form) {
  const std::string& text = s.get();
  bool ascii = true;
  for (unsigned char c : text) ascii &= c < 0x80;
  if (ascii) return;
  int options = utf8proc_options(form);
  if (map_utf8proc(text, options) == text) return;
  std::vector<Change> changes;
  changes.reserve(text.size());
  size_t initial_offset = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t len;
    char32_t first = decode_utf8(text, i, len);
    // An ASCII character followed by another starts a run of its own that every form keeps.
    if (first < 0x80 && (i + 1 == text.size() || static_cast<unsigned char>(text[i + 1]) < 0x80)) {
      changes.emplace_back(first, 0);
      ++i;
      continue;
    }
    size_t run_end = i + len, n_in = 1;
    while (run_end < text.size()) {
      size_t l;
      char32_t c = decode_utf8(text, run_end, l);
      if (starts_run(c)) break;
      run_end += l;
      ++n_in;
    }
    std::string out = map_utf8proc(std::string_view(text).substr(i, run_end - i), options);
    size_t n_out = 0;
    for (size_t k = 0; k < out.size(); k += len) {
      char32_t c = decode_utf8(out, k, len);
      changes.emplace_back(c, n_out < n_in ? 0 : 1);
      ++n_out;
    }
    if (n_out < n_in) {
      if (n_out > 0) changes.back().second -= static_cast<int>(n_in - n_out);
      else if (!changes.empty()) changes.back().second -= static_cast<int>(n_in);
      else initial_offset += n_in;
    }
    i = run_end;
  }
  s.transform(changes, initial_offset);
}

std::unique_ptr<Normalizer> make_unicode_normalizer(UnicodeForm form) { return std::make_unique<UnicodeNormalizer>(form); }
std::unique_ptr<Normalizer> make_lowercase_normalizer() { return std::make_unique<LowercaseNormalizer>(); }
std::unique_ptr<Normalizer> make_strip_accents_normalizer() { return std::make_unique<StripAccentsNormalizer>(); }

}  // namespace lmpipe::tok
