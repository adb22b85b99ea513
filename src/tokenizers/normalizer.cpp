// The normalizer factory and Sequence (HF tokenizers' normalizers/mod.rs, utils.rs).
#include "tokenizers/normalizer.h"

#include "util/error.h"

namespace lmpipe::tok {

namespace {

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(NormalizedString& s) const override {
    for (const auto& step : steps_) step->normalize(s);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

std::unique_ptr<Normalizer> normalizer_from_json(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  std::string type = json_get<std::string>(j, "type", where);
  if (type == "Sequence") {
    const json& list = json_field(j, "normalizers", where);
    if (!list.is_array()) throw Error(where + ".normalizers: expected an array");
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = normalizer_from_json(list[i], where + ".normalizers[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  if (type == "BertNormalizer") return make_bert_normalizer(j, where);
  if (type == "Precompiled") return make_precompiled_normalizer(j, where);
  if (type == "Replace") return make_replace_normalizer(j, where);
  if (type == "NFC") return make_unicode_normalizer(UnicodeForm::NFC);
  if (type == "NFD") return make_unicode_normalizer(UnicodeForm::NFD);
  if (type == "NFKC") return make_unicode_normalizer(UnicodeForm::NFKC);
  if (type == "NFKD") return make_unicode_normalizer(UnicodeForm::NFKD);
  if (type == "Lowercase") return make_lowercase_normalizer();
  if (type == "StripAccents") return make_strip_accents_normalizer();
  if (type == "Strip") return make_strip_normalizer(j, where);
  if (type == "Prepend") return make_prepend_normalizer(j, where);
  throw Error(where + ".type '" + type + "' is not supported");
}

}  // namespace lmpipe::tok
