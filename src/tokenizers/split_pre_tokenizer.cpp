// Split pre-tokenizer (HF tokenizers' pre_tokenizers/split.rs): cut on a string or regex
// pattern with a delimiter behavior, optionally inverted.
#include "tokenizers/pattern.h"
#include "tokenizers/pre_tokenizer.h"

namespace lmpipe::tok {

namespace {

class SplitPreTokenizer : public PreTokenizer {
 public:
  SplitPreTokenizer(const json& j, const std::string& where)
      : pattern_(json_field(j, "pattern", where), where + ".pattern"),
        behavior_(split_behavior_from_json(j, "behavior", SplitBehavior::Removed, where)),
        invert_(json_get_or<bool>(j, "invert", false)) {}

  void pre_tokenize(PreTokenizedString& s) const override {
    s.split([&](NormalizedString& n) {
      auto pieces = pattern_.find_matches(n.get());
      if (invert_) invert_matches(pieces);
      return n.split(pieces, behavior_);
    });
  }

 private:
  Pattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

}  // namespace

std::unique_ptr<PreTokenizer> make_split_pre_tokenizer(const json& j, const std::string& where) {
  return std::make_unique<SplitPreTokenizer>(j, where);
}

}  // namespace lmpipe::tok
