#include "lmpipe/pipeline.h"

#include <filesystem>
#include <map>

#include "io/hub.h"
#include "lmpipe/feature_extraction.h"
#include "lmpipe/fill_mask.h"
#include "lmpipe/next_sentence.h"
#include "lmpipe/sentence_embeddings.h"
#include "lmpipe/text_generation.h"
#include "lmpipe/zero_shot.h"
#include "util/error.h"

namespace lmpipe {

namespace {

struct Task {
  std::string default_model;  // as transformers' SUPPORTED_TASKS
  // `task` as requested (translation_xx_to_yy picks its language pair's settings).
  std::unique_ptr<Pipeline> (*make)(const std::filesystem::path& model_dir, const std::string& task,
                                    const LoadOptions& options);
};

// The pipelines whose constructor takes (model_dir, options).
template <typename P>
std::unique_ptr<Pipeline> make(const std::filesystem::path& dir, const std::string& /*task*/, const LoadOptions& options) {
  return std::make_unique<P>(dir, options);
}

std::unique_ptr<Pipeline> make_text2text(const std::filesystem::path& dir, const std::string& task,
                                         const LoadOptions& options) {
  return std::make_unique<Text2TextGenerationPipeline>(dir, task, options);
}

const std::map<std::string, Task>& tasks() {
  // transformers' tasks with its default models, then lmpipe's own (no transformers pipeline).
  static const std::map<std::string, Task> table = {
      {"fill-mask", {"distilbert/distilroberta-base", make<FillMaskPipeline>}},
      {"feature-extraction", {"distilbert/distilbert-base-cased", make<FeatureExtractionPipeline>}},
      {"next-sentence-prediction", {"google-bert/bert-base-uncased", make<NextSentencePredictionPipeline>}},
      {"sentence-embeddings", {"sentence-transformers/all-MiniLM-L6-v2", make<SentenceTransformer>}},
      {"zero-shot-classification", {"facebook/bart-large-mnli", make<ZeroShotClassificationPipeline>}},
      {"text-generation", {"openai-community/gpt2", make<TextGenerationPipeline>}},
      {"summarization", {"sshleifer/distilbart-cnn-12-6", make_text2text}},
      {"translation", {"google-t5/t5-base", make_text2text}},
      {"text2text-generation", {"google-t5/t5-base", make_text2text}},
  };
  return table;
}

// translation_xx_to_yy is the translation task with the language pair's task_specific_params.
bool is_translation_pair(const std::string& task) {
  const std::string prefix = "translation_";
  const size_t to = task.find("_to_", prefix.size());
  return task.rfind(prefix, 0) == 0 && to != std::string::npos && to > prefix.size() && to + 4 < task.size();
}

// The default prepared call: the arguments, kept for operator().
struct ArgumentsCall : Pipeline::Call {
  json inputs, kwargs;
};

}  // namespace

std::unique_ptr<Pipeline::Call> Pipeline::prepare(const json& inputs, const json& kwargs) const {
  auto call = std::make_unique<ArgumentsCall>();
  call->inputs = inputs;
  call->kwargs = kwargs;
  return call;
}

std::vector<json> Pipeline::run(const std::vector<const Call*>& calls) const {
  std::vector<json> out;
  for (const Call* call : calls) {
    const auto* args = dynamic_cast<const ArgumentsCall*>(call);
    if (args == nullptr) throw Error("Pipeline::run: a call prepared by another pipeline");
    out.push_back((*this)(args->inputs, args->kwargs));
  }
  return out;
}

std::unique_ptr<Pipeline> pipeline(const std::string& task, const std::string& model, const LoadOptions& options) {
  const std::string base = is_translation_pair(task) ? "translation" : task;
  auto it = tasks().find(base);
  if (it == tasks().end()) {
    std::string known;
    for (const auto& [name, _] : tasks()) known += (known.empty() ? "" : ", ") + name;
    throw Error("unknown task '" + task + "' (supported: " + known + ", translation_xx_to_yy)",
                ErrorKind::invalid_argument);
  }
  std::filesystem::path dir;
  try {
    dir = resolve_model(model.empty() ? it->second.default_model : model);
  } catch (const Error& e) {
    // A model that cannot be found or fetched, whatever the cause (Python raises OSError).
    throw Error(e.what(), ErrorKind::io);
  }
  return it->second.make(dir, task, options);
}

}  // namespace lmpipe
