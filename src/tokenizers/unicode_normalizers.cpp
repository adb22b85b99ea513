// NFC/NFD/NFKC/NFKD, Lowercase and StripAccents (HF tokenizers' normalizers/unicode.rs,
// strip.rs, utils.rs Lowercase). utf8proc has the Unicode data; the alignment changes follow
// the crate HF normalizes with (unicode-normalization-alignments), step by step: decompose each
// character, order the marks, recompose.
#include <utf8proc.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "tokenizers/normalizer.h"
#include "tokenizers/unicode.h"

namespace lmpipe::tok {

namespace {

// A decomposed character with its alignment change and canonical combining class.
struct Decomposed {
  char32_t c;
  int change;
  uint8_t ccc;
};

uint8_t combining_class(char32_t c) {
  return static_cast<uint8_t>(utf8proc_get_property(static_cast<utf8proc_int32_t>(c))->combining_class);
}

// Canonical ordering of the run [from, end): a stable insertion sort by class (runs are a
// handful of marks, and this runs per character, so no allocation).
void order_marks(std::vector<Decomposed>& v, size_t from) {
  for (size_t i = from + 1; i < v.size(); ++i)
    for (size_t j = i; j > from && v[j - 1].ccc > v[j].ccc; --j) std::swap(v[j - 1], v[j]);
}

// Full decomposition: the first character of each input character's decomposition replaces it
// (change 0), the others are inserted (+1); each run of marks is then put in canonical order
// (stable, so equal classes keep their order), carrying its changes.
std::vector<Decomposed> decompose(std::string_view text, bool compat) {
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0));
  std::vector<Decomposed> out;
  out.reserve(text.size());
  size_t unordered = 0;  // start of the run not yet put in canonical order
  for (size_t i = 0; i < text.size();) {
    size_t len;
    char32_t c = decode_utf8(text, i, len);
    i += len;
    utf8proc_int32_t parts[32];
    int boundclass = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c), parts, 32, options, &boundclass);
    if (n <= 0 || n > 32) {  // cannot happen for valid code points; keep the character as it is
      parts[0] = static_cast<utf8proc_int32_t>(c);
      n = 1;
    }
    for (utf8proc_ssize_t k = 0; k < n; ++k) {
      auto d = static_cast<char32_t>(parts[k]);
      uint8_t ccc = combining_class(d);
      if (ccc == 0) {
        order_marks(out, unordered);
        unordered = out.size();
      }
      out.push_back({d, k == 0 ? 0 : 1, ccc});
    }
  }
  order_marks(out, unordered);
  return out;
}

// The primary composite of starter a and b, if there is one (composition exclusions and Hangul
// included, as utf8proc composes).
std::optional<char32_t> compose_pair(char32_t a, char32_t b) {
  utf8proc_int32_t pair[2] = {static_cast<utf8proc_int32_t>(a), static_cast<utf8proc_int32_t>(b)};
  if (utf8proc_normalize_utf32(pair, 2, UTF8PROC_COMPOSE) != 1) return std::nullopt;
  return static_cast<char32_t>(pair[0]);
}

// Canonical composition over the decomposed text. A composite takes its starter's change plus
// the change of the character it absorbs, minus one (that character is removed); marks blocked
// from their starter come out after it, in order.
std::vector<Change> recompose(const std::vector<Decomposed>& text) {
  std::vector<Change> out;
  out.reserve(text.size());
  std::optional<Change> starter;
  std::vector<Change> blocked;
  int last_class = -1;  // class of the last blocked mark, -1 when none
  auto flush = [&] {
    out.push_back(*starter);
    out.insert(out.end(), blocked.begin(), blocked.end());
    blocked.clear();
    last_class = -1;
  };
  for (const Decomposed& d : text) {
    if (!starter) {
      if (d.ccc != 0) out.emplace_back(d.c, d.change);
      else starter = Change{d.c, d.change};
      continue;
    }
    bool is_blocked = last_class >= 0 && last_class >= d.ccc;
    if (!is_blocked) {
      if (auto composite = compose_pair(starter->first, d.c)) {
        starter = Change{*composite, starter->second + d.change - 1};
        continue;
      }
    }
    if (d.ccc == 0) {
      flush();
      starter = Change{d.c, d.change};
      continue;
    }
    blocked.emplace_back(d.c, d.change);
    last_class = d.ccc;
  }
  if (starter) flush();
  return out;
}

// Whether `changes` give back `text` unchanged: the same characters, none inserted or removed.
bool is_identity(std::string_view text, const std::vector<Change>& changes) {
  size_t i = 0;
  for (const Change& ch : changes) {
    if (ch.second != 0 || i >= text.size()) return false;
    size_t len;
    if (decode_utf8(text, i, len) != ch.first) return false;
    i += len;
  }
  return i == text.size();
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
  const bool compat = form == UnicodeForm::NFKC || form == UnicodeForm::NFKD;
  std::vector<Decomposed> decomposed = decompose(text, compat);
  std::vector<Change> changes;
  if (form == UnicodeForm::NFC || form == UnicodeForm::NFKC) {
    changes = recompose(decomposed);
  } else {
    changes.reserve(decomposed.size());
    for (const Decomposed& d : decomposed) changes.emplace_back(d.c, d.change);
  }
  if (is_identity(text, changes)) return;  // already normal: nothing to rebuild
  s.transform(changes, 0);
}

std::unique_ptr<Normalizer> make_unicode_normalizer(UnicodeForm form) { return std::make_unique<UnicodeNormalizer>(form); }
std::unique_ptr<Normalizer> make_lowercase_normalizer() { return std::make_unique<LowercaseNormalizer>(); }
std::unique_ptr<Normalizer> make_strip_accents_normalizer() { return std::make_unique<StripAccentsNormalizer>(); }

}  // namespace lmpipe::tok
