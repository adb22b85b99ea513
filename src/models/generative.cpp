// The language-modeling heads lmpipe generates with, by config.json `architectures` / `model_type`
// (as transformers' AutoModelForCausalLM / AutoModelForSeq2SeqLM mappings).
#include "models/generative.h"

#include <functional>
#include <map>

#include "models/bart.h"
#include "models/gpt2.h"
#include "models/t5.h"
#include "util/error.h"

namespace lmpipe {

namespace {

using Loader = std::function<std::unique_ptr<GenerativeModel>(const std::filesystem::path&, const ModelConfig&)>;

const std::map<std::string, Loader>& generative_architectures() {
  static const std::map<std::string, Loader> table = {
      {"GPT2LMHeadModel", load_gpt2_lm},
      {"BartForConditionalGeneration", load_bart_lm},
      {"T5ForConditionalGeneration", load_t5_lm},
  };
  return table;
}

const std::map<std::string, std::string>& generative_by_model_type() {
  static const std::map<std::string, std::string> table = {
      {"gpt2", "GPT2LMHeadModel"},
      {"bart", "BartForConditionalGeneration"},
      {"t5", "T5ForConditionalGeneration"},
  };
  return table;
}

}  // namespace

std::unique_ptr<GenerativeModel> load_generative_model(const std::filesystem::path& model_dir,
                                                       const LoadOptions& options) {
  ModelConfig config = ModelConfig::load(model_dir);
  config.set_load_options(options);
  const auto& table = generative_architectures();
  std::string seen;
  if (auto it = config.raw().find("architectures"); it != config.raw().end() && it->is_array()) {
    for (const auto& arch : *it) {
      if (!arch.is_string()) continue;
      if (auto found = table.find(arch.get<std::string>()); found != table.end()) return found->second(model_dir, config);
      seen += (seen.empty() ? "" : ", ") + arch.get<std::string>();
    }
  }
  // Base-model architectures (GPT2Model, BartModel) and configs without any generate through the
  // family's language-modeling head, as AutoModelForCausalLM / AutoModelForSeq2SeqLM map them.
  const auto by_type = generative_by_model_type().find(config.model_type());
  if (by_type != generative_by_model_type().end()) return table.at(by_type->second)(model_dir, config);
  std::string supported;
  for (const auto& [name, _] : table) supported += (supported.empty() ? "" : ", ") + name;
  throw Error(config.file().string() + ": architecture '" + (seen.empty() ? config.model_type() : seen) +
              "' cannot generate text (supported: " + supported + ")");
}

}  // namespace lmpipe
