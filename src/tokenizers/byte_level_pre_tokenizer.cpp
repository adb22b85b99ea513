// ByteLevel pre-tokenizer (HF tokenizers' pre_tokenizers/byte_level.rs): optional prefix
// space, GPT-2's split regex, then every byte mapped to its printable stand-in.
#include <array>

#include "tokenizers/byte_level.h"
#include "tokenizers/gpt2_split.h"
#include "tokenizers/pre_tokenizer.h"
#include "tokenizers/regex.h"

namespace lmpipe::tok {

namespace {

const std::array<std::string, 256>& byte_table() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    for (int b = 0; b < 256; ++b) t[b] = byte_to_utf8(static_cast<uint8_t>(b));
    return t;
  }();
  return table;
}

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {
    if (use_regex_) regex_ = std::make_unique<Regex>(kGpt2SplitPattern, "ByteLevel");
  }

  void pre_tokenize(PreTokenizedString& s) const override {
    s.split([&](NormalizedString& n) {
      if (add_prefix_space_ && n.get().rfind(' ', 0) != 0) n.prepend(" ");
      if (use_regex_) return n.split(regex_->find_matches(n.get()), SplitBehavior::Isolated);
      return std::vector<NormalizedString>{std::move(n)};
    });
    const std::string* table = byte_table().data();
    for (auto& split : s.splits)
      if (!split.tokens) split.normalized.substitute_bytes(table);
  }

 private:
  bool add_prefix_space_, use_regex_;
  std::unique_ptr<Regex> regex_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(const json& j, const std::string&) {
  return std::make_unique<ByteLevelPreTokenizer>(json_get_or<bool>(j, "add_prefix_space", true),
                                                 json_get_or<bool>(j, "use_regex", true));
}

}  // namespace lmpipe::tok
