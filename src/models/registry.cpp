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

}  // namespace

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
