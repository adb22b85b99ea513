#include "lmpipe/pipeline.h"

#include <filesystem>
#include <map>

#include "lmpipe/feature_extraction.h"
#include "lmpipe/fill_mask.h"
#include "lmpipe/next_sentence.h"
#include "lmpipe/sentence_embeddings.h"
#include "lmpipe/zero_shot.h"
#include "io/hub.h"
#include "util/error.h"

namespace lmpipe {

namespace {

struct Task {
  std::string default_model;  // as transformers' SUPPORTED_TASKS
  std::unique_ptr<Pipeline> (*make)(const std::filesystem::path& model_dir, const LoadOptions& options);
};

const std::map<std::string, Task>& tasks() {
  // transformers' tasks with its default models, then lmpipe's own (no transformers pipeline).
  static const std::map<std::string, Task> table = {
      {"fill-mask",
       {"distilbert/distilroberta-base",
        [](const std::filesystem::path& dir, const LoadOptions& options) -> std::unique_ptr<Pipeline> {
          return std::make_unique<FillMaskPipeline>(dir, options);
        }}},
      {"feature-extraction",
       {"distilbert/distilbert-base-cased",
        [](const std::filesystem::path& dir, const LoadOptions& options) -> std::unique_ptr<Pipeline> {
          return std::make_unique<FeatureExtractionPipeline>(dir, options);
        }}},
      {"next-sentence-prediction",
       {"google-bert/bert-base-uncased",
        [](const std::filesystem::path& dir, const LoadOptions& options) -> std::unique_ptr<Pipeline> {
          return std::make_unique<NextSentencePredictionPipeline>(dir, options);
        }}},
      {"sentence-embeddings",
       {"sentence-transformers/all-MiniLM-L6-v2",
        [](const std::filesystem::path& dir, const LoadOptions& options) -> std::unique_ptr<Pipeline> {
          return std::make_unique<SentenceTransformer>(dir, options);
        }}},
      {"zero-shot-classification",
       {"facebook/bart-large-mnli",
        [](const std::filesystem::path& dir, const LoadOptions& options) -> std::unique_ptr<Pipeline> {
          return std::make_unique<ZeroShotClassificationPipeline>(dir, options);
        }}},
  };
  return table;
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
  auto it = tasks().find(task);
  if (it == tasks().end()) {
    std::string known;
    for (const auto& [name, _] : tasks()) known += (known.empty() ? "" : ", ") + name;
    throw Error("unknown task '" + task + "' (supported: " + known + ")", ErrorKind::invalid_argument);
  }
  std::filesystem::path dir;
  try {
    dir = resolve_model(model.empty() ? it->second.default_model : model);
  } catch (const Error& e) {
    // A model that cannot be found or fetched, whatever the cause (Python raises OSError).
    throw Error(e.what(), ErrorKind::io);
  }
  return it->second.make(dir, options);
}

}  // namespace lmpipe
