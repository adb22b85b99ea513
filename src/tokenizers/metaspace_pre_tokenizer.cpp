// Metaspace pre-tokenizer (HF tokenizers' pre_tokenizers/metaspace.rs): spaces become the
// replacement character, which is prepended per prepend_scheme and starts each piece.
#include "tokenizers/pre_tokenizer.h"
#include "tokenizers/unicode.h"
#include "util/error.h"

namespace lmpipe::tok {

namespace {

enum class PrependScheme { First, Always, Never };

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {
    size_t len;
    replacement_char_ = decode_utf8(replacement_, 0, len);
  }

  void pre_tokenize(PreTokenizedString& s) const override {
    s.split([&](NormalizedString& n) {
      n.replace(find_literal_matches(n.get(), " "), replacement_);
      bool starts = n.get().rfind(replacement_, 0) == 0;
      if (scheme_ == PrependScheme::Always && !starts) n.prepend(replacement_);
      if (scheme_ == PrependScheme::First && !starts && n.original_start() == 0) n.prepend(replacement_);
      if (!split_) return std::vector<NormalizedString>{std::move(n)};
      char32_t r = replacement_char_;
      return n.split(find_char_matches(n.get(), [r](char32_t c) { return c == r; }), SplitBehavior::MergedWithNext);
    });
  }

 private:
  std::string replacement_;
  char32_t replacement_char_;
  PrependScheme scheme_;
  bool split_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_metaspace_pre_tokenizer(const json& j, const std::string& where) {
  std::string replacement = json_get_or<std::string>(j, "replacement", "\xE2\x96\x81");
  if (replacement.empty() || count_chars(replacement) != 1)
    throw Error(where + ".replacement: expected a single character");
  // Older files carry add_prefix_space instead of prepend_scheme.
  PrependScheme scheme = json_get_or<bool>(j, "add_prefix_space", true) ? PrependScheme::Always : PrependScheme::Never;
  if (j.contains("prepend_scheme")) {
    std::string p = json_get<std::string>(j, "prepend_scheme", where);
    if (p == "first") scheme = PrependScheme::First;
    else if (p == "always") scheme = PrependScheme::Always;
    else if (p == "never") scheme = PrependScheme::Never;
    else throw Error(where + ".prepend_scheme '" + p + "' is not supported");
  }
  return std::make_unique<MetaspacePreTokenizer>(replacement, scheme, json_get_or<bool>(j, "split", true));
}

}  // namespace lmpipe::tok
