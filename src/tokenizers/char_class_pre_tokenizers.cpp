// Pre-tokenizers that cut on character classes (HF tokenizers' pre_tokenizers/bert.rs,
// whitespace.rs, punctuation.rs, digits.rs).
#include "tokenizers/pre_tokenizer.h"
#include "tokenizers/regex.h"
#include "tokenizers/unicode.h"

namespace lmpipe::tok {

namespace {

bool is_bert_punctuation(char32_t c) {
  bool ascii_punct = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return ascii_punct || is_punctuation(c);
}

// Whitespace removed, then each punctuation character isolated; done in one pass, which cuts
// exactly where HF's two passes do.
class BertPreTokenizer : public PreTokenizer {
 public:
  void pre_tokenize(PreTokenizedString& s) const override {
    s.split([](NormalizedString& n) {
      const std::string& t = n.get();
      std::vector<NormalizedString> out;
      size_t start = 0;
      for (size_t i = 0; i < t.size();) {
        size_t len;
        char32_t c = decode_utf8(t, i, len);
        bool space = is_whitespace(c);
        if (space || is_bert_punctuation(c)) {
          if (start < i) out.push_back(n.slice(start, i));
          if (!space) out.push_back(n.slice(i, i + len));
          start = i + len;
        }
        i += len;
      }
      if (start < t.size()) out.push_back(start == 0 ? std::move(n) : n.slice(start, t.size()));
      return out;
    });
  }
};

class WhitespaceSplitPreTokenizer : public PreTokenizer {
 public:
  void pre_tokenize(PreTokenizedString& s) const override {
    s.split([](NormalizedString& n) { return n.split(find_char_matches(n.get(), is_whitespace), SplitBehavior::Removed); });
  }
};

class WhitespacePreTokenizer : public PreTokenizer {
 public:
  WhitespacePreTokenizer() : regex_(R"(\w+|[^\w\s]+)", "Whitespace") {}
  void pre_tokenize(PreTokenizedString& s) const override {
    s.split([&](NormalizedString& n) {
      auto pieces = regex_.find_matches(n.get());
      invert_matches(pieces);
      return n.split(pieces, SplitBehavior::Removed);
    });
  }

 private:
  Regex regex_;
};

class PunctuationPreTokenizer : public PreTokenizer {
 public:
  explicit PunctuationPreTokenizer(SplitBehavior behavior) : behavior_(behavior) {}
  void pre_tokenize(PreTokenizedString& s) const override {
    s.split([&](NormalizedString& n) { return n.split(find_char_matches(n.get(), is_bert_punctuation), behavior_); });
  }

 private:
  SplitBehavior behavior_;
};

class DigitsPreTokenizer : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  void pre_tokenize(PreTokenizedString& s) const override {
    auto behavior = individual_ ? SplitBehavior::Isolated : SplitBehavior::Contiguous;
    s.split([&](NormalizedString& n) { return n.split(find_char_matches(n.get(), is_numeric), behavior); });
  }

 private:
  bool individual_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_char_class_pre_tokenizer(const std::string& type, const json& j, const std::string& where) {
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "WhitespaceSplit") return std::make_unique<WhitespaceSplitPreTokenizer>();
  if (type == "Whitespace") return std::make_unique<WhitespacePreTokenizer>();
  if (type == "Punctuation")
    return std::make_unique<PunctuationPreTokenizer>(split_behavior_from_json(j, "behavior", SplitBehavior::Isolated, where));
  return std::make_unique<DigitsPreTokenizer>(json_get_or<bool>(j, "individual_digits", false));
}

}  // namespace lmpipe::tok
