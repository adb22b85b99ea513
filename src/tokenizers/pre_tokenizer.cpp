// The pre-tokenizer factory and Sequence (HF tokenizers' pre_tokenizers/mod.rs, sequence.rs).
#include "tokenizers/pre_tokenizer.h"

#include <vector>

#include "util/error.h"

namespace lmpipe::tok {

namespace {

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(PreTokenizedString& s) const override {
    for (const auto& step : steps_) step->pre_tokenize(s);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace

SplitBehavior split_behavior_from_json(const json& j, const std::string& key, SplitBehavior fallback,
                                       const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  std::string b = it->is_string() ? it->get<std::string>() : "";
  if (b == "Removed") return SplitBehavior::Removed;
  if (b == "Isolated") return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (b == "Contiguous") return SplitBehavior::Contiguous;
  throw Error(where + "." + key + " '" + it->dump() + "' is not supported");
}

std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  std::string type = json_get<std::string>(j, "type", where);
  if (type == "Sequence") {
    const json& list = json_field(j, "pretokenizers", where);
    if (!list.is_array()) throw Error(where + ".pretokenizers: expected an array");
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = pre_tokenizer_from_json(list[i], where + ".pretokenizers[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  if (type == "ByteLevel") return make_byte_level_pre_tokenizer(j, where);
  if (type == "Metaspace") return make_metaspace_pre_tokenizer(j, where);
  if (type == "Split") return make_split_pre_tokenizer(j, where);
  if (type == "BertPreTokenizer" || type == "Whitespace" || type == "WhitespaceSplit" || type == "Punctuation" ||
      type == "Digits")
    return make_char_class_pre_tokenizer(type, j, where);
  throw Error(where + ".type '" + type + "' is not supported");
}

}  // namespace lmpipe::tok
