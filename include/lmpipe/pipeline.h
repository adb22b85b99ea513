#pragma once
// The pipeline API, shaped like transformers' `pipeline(task, model=...)`:
//
//   auto classifier = lmpipe::pipeline("zero-shot-classification", "facebook/bart-large-mnli");
//   lmpipe::json out = (*classifier)("Get a free iPhone now!",
//       {{"candidate_labels", {"spam", "not spam"}}, {"hypothesis_template", "This email is {}."}});
//   // {"sequence": "...", "labels": ["not spam", "spam"], "scores": [0.83, 0.17]}
//
// Inputs, keyword arguments and outputs are JSON values with the names, shapes and key order
// Python uses.
#include <memory>
#include <string>

#include "lmpipe/json.h"
#include "lmpipe/load_options.h"

namespace lmpipe {

class Pipeline {
 public:
  virtual ~Pipeline() = default;
  // `inputs`: a string or a list of strings. Throws lmpipe::Error on invalid arguments.
  virtual json operator()(const json& inputs, const json& kwargs = json::object()) const = 0;
};

// Tasks: "zero-shot-classification", "fill-mask", "feature-extraction", "text-generation",
// "summarization", "translation" (or "translation_xx_to_yy"), "text2text-generation"
// (transformers' semantics and default models; text_generation.h), and lmpipe's own
// "next-sentence-prediction" (BERT's NSP head, default google-bert/bert-base-uncased) and
// "sentence-embeddings" (sentence-transformers repositories, default
// sentence-transformers/all-MiniLM-L6-v2).
// `model`: a local model directory or a Hub id; empty means the task's default model, as in
// transformers. `options.dtype` picks the precision of the linear layers (float32 by default:
// exact; bfloat16 / int8 trade accuracy for speed and memory, see load_options.h).
// Throws lmpipe::Error for an unknown task or a model that cannot be loaded.
std::unique_ptr<Pipeline> pipeline(const std::string& task, const std::string& model = "",
                                   const LoadOptions& options = {});

}  // namespace lmpipe
