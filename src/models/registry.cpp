#include <functional>

#include "models/families.h"
#include "models/model.h"
#include "util/error.h"

namespace lmpipe {

namespace {

using Loader = std::function<std::unique_ptr<SequenceClassifier>(const std::filesystem::path&, const ModelConfig&)>;

// config.json `architectures` entries we run, and the model_type fallback for configs without one.
const std::map<std::string, Loader>& classifier_architectures() {
  static const std::map<std::string, Loader> table = {
      {"BartForSequenceClassification", load_bart_classifier},
      {"BertForSequenceClassification", load_bert_classifier},
      {"RobertaForSequenceClassification", load_bert_classifier},
      {"XLMRobertaForSequenceClassification", load_bert_classifier},
      {"CamembertForSequenceClassification", load_bert_classifier},
      {"DistilBertForSequenceClassification", load_distilbert_classifier},
      {"DebertaV2ForSequenceClassification", load_deberta_v2_classifier},
  };
  return table;
}

const std::map<std::string, std::string>& classifier_by_model_type() {
  static const std::map<std::string, std::string> table = {
      {"bart", "BartForSequenceClassification"},
      {"bert", "BertForSequenceClassification"},
      {"roberta", "RobertaForSequenceClassification"},
      {"xlm-roberta", "XLMRobertaForSequenceClassification"},
      {"camembert", "CamembertForSequenceClassification"},
      {"distilbert", "DistilBertForSequenceClassification"},
      {"deberta-v2", "DebertaV2ForSequenceClassification"},
  };
  return table;
}

using EncoderLoader = std::unique_ptr<TokenEncoder> (*)(const std::filesystem::path&, const ModelConfig&);
using MaskedLMLoader = std::unique_ptr<MaskedLM> (*)(const std::filesystem::path&, const ModelConfig&);
using NextSentenceLoader = std::unique_ptr<NextSentencePredictor> (*)(const std::filesystem::path&, const ModelConfig&);

// The encoder families by config.json `model_type`, as AutoModel / AutoModelForMaskedLM map them;
// a null loader: the family has no such head.
struct EncoderFamily {
  EncoderLoader encoder;
  MaskedLMLoader masked_lm;
  NextSentenceLoader next_sentence;
};

const std::map<std::string, EncoderFamily>& encoder_families() {
  static const std::map<std::string, EncoderFamily> table = {
      {"bert", {load_bert_encoder, load_bert_masked_lm, load_bert_next_sentence}},
      {"roberta", {load_bert_encoder, load_bert_masked_lm, nullptr}},
      {"xlm-roberta", {load_bert_encoder, load_bert_masked_lm, nullptr}},
      {"camembert", {load_bert_encoder, load_bert_masked_lm, nullptr}},
      {"distilbert", {load_distilbert_encoder, load_distilbert_masked_lm, nullptr}},
      {"deberta-v2", {load_deberta_v2_encoder, load_deberta_v2_masked_lm, nullptr}},
  };
  return table;
}

// The loader `pick` chooses from the family of config.json's model_type; `what` names the head
// for the error when the family or the head is not supported.
template <typename Loader>
auto load_from_family(const std::filesystem::path& model_dir, const LoadOptions& options, Loader EncoderFamily::*pick,
                      const std::string& what) {
  ModelConfig config = ModelConfig::load(model_dir);
  config.set_load_options(options);
  const std::string model_type = config.model_type();
  std::string supported;
  for (const auto& [name, family] : encoder_families())
    if (family.*pick) supported += (supported.empty() ? "" : ", ") + name;
  auto it = encoder_families().find(model_type);
  if (it == encoder_families().end() || !(it->second.*pick))
    throw Error(config.file().string() + ": model_type '" + model_type + "' is not supported for " + what +
                " (supported: " + supported + ")");
  return (it->second.*pick)(model_dir, config);
}

}  // namespace

std::unique_ptr<TokenEncoder> load_encoder(const std::filesystem::path& model_dir, const LoadOptions& options) {
  return load_from_family(model_dir, options, &EncoderFamily::encoder, "hidden states (feature extraction)");
}

std::unique_ptr<MaskedLM> load_masked_lm(const std::filesystem::path& model_dir, const LoadOptions& options) {
  return load_from_family(model_dir, options, &EncoderFamily::masked_lm, "masked language modeling (fill-mask)");
}

std::unique_ptr<NextSentencePredictor> load_next_sentence_predictor(const std::filesystem::path& model_dir, const LoadOptions& options) {
  return load_from_family(model_dir, options, &EncoderFamily::next_sentence, "next-sentence prediction");
}

std::unique_ptr<SequenceClassifier> load_sequence_classifier(const std::filesystem::path& model_dir,
                                                             const LoadOptions& options) {
  const auto config_path = model_dir / "config.json";
  ModelConfig model_config(config_path, read_json_file(config_path));
  model_config.set_load_options(options);
  const json& config = model_config.raw();
  const auto& table = classifier_architectures();
  std::string seen;
  if (auto it = config.find("architectures"); it != config.end() && it->is_array()) {
    for (const auto& arch : *it) {
      if (!arch.is_string()) continue;
      auto found = table.find(arch.get<std::string>());
      if (found != table.end()) return found->second(model_dir, model_config);
      seen += (seen.empty() ? "" : ", ") + arch.get<std::string>();
    }
  }
  const std::string model_type = json_get_or<std::string>(config, "model_type", "");
  if (seen.empty()) {
    auto by_type = classifier_by_model_type().find(model_type);
    if (by_type != classifier_by_model_type().end()) return table.at(by_type->second)(model_dir, model_config);
  }
  std::string supported;
  for (const auto& [name, _] : table) supported += (supported.empty() ? "" : ", ") + name;
  throw Error(config_path.string() + ": architecture '" + (seen.empty() ? model_type : seen) +
              "' is not supported for sequence classification (supported: " + supported + ")");
}

}  // namespace lmpipe
