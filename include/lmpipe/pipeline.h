#pragma once
// The pipeline API, shaped like transformers' `pipeline(task, model=...)`:
//
//   auto classifier = lmpipe::pipeline("zero-shot-classification", "facebook/bart-large-mnli");
//   lmpipe::json out = (*classifier)("Get a free iPhone now!",
//       {{"candidate_labels", {"spam", "not spam"}}, {"hypothesis_template", "This email is {}."}});
//   // {"sequence": "...", "labels": ["not spam", "spam"], "scores": [0.83, 0.17]}
//
// Inputs, keyword arguments and outputs are JSON values with the names, shapes and key order
// Python uses. Bindings (the Python package) are generic over this interface: a task reachable
// through pipeline() is bound with no task-specific code.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lmpipe/json.h"
#include "lmpipe/load_options.h"

namespace lmpipe {

class Pipeline {
 public:
  virtual ~Pipeline() = default;
  // `inputs`: a string or a list of strings. Throws lmpipe::Error on invalid arguments (the
  // Python bindings raise ValueError for it). Safe to call from several threads at once.
  virtual json operator()(const json& inputs, const json& kwargs = json::object()) const = 0;

  // Dynamic batching, for callers that gather the calls of many clients (`lmpipe serve`):
  // prepare() checks and tokenizes one call on the caller's thread, throwing lmpipe::Error where
  // operator() would; run() computes prepared calls together, sharing forward passes where the
  // task can, and returns for each exactly what operator() returns for it: an answer does not
  // depend on the other calls of the batch. prepare() may be called from many threads at once;
  // run() from one thread at a time. The defaults keep the arguments and run operator() once per
  // call; a task overrides both to batch across calls.
  struct Call {
    virtual ~Call() = default;
    size_t tokens = 0;  // tokens the call puts through the model; 0 when the task does not count them
  };
  virtual std::unique_ptr<Call> prepare(const json& inputs, const json& kwargs = json::object()) const;
  // Throws when a call fails (then none of the batch has an answer; run the calls one by one to
  // find the one at fault). Calls must come from this pipeline's prepare().
  virtual std::vector<json> run(const std::vector<const Call*>& calls) const;

  // How Python's __call__ names its arguments, for bindings that take them positionally or by
  // keyword: the inputs' parameter name, and the keyword arguments that may follow the inputs
  // positionally, in order (zero-shot: `classifier(sequences, candidate_labels)`).
  struct Signature {
    std::string inputs = "inputs";
    std::vector<std::string> positional;
  };
  virtual Signature signature() const { return {}; }

  // A float32 array, row-major.
  struct FloatArray {
    std::vector<int64_t> shape;
    std::vector<float> data;
  };
  // A result whose bulk is float data (features, embeddings) handed over as arrays rather than
  // one JSON number per value: `value` is operator()'s JSON with null where each array goes,
  // `arrays` says where (a JSON pointer into `value`; "" for the whole result) and holds the data.
  // The Python bindings turn each into a NumPy float32 array that owns the data (no copy).
  struct Result {
    json value;
    std::vector<std::pair<std::string, FloatArray>> arrays;
  };
  // The default is operator()'s JSON with no arrays; a task returning features overrides it.
  virtual Result compute(const json& inputs, const json& kwargs = json::object()) const {
    return {(*this)(inputs, kwargs), {}};
  }
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
// Throws lmpipe::Error for an unknown task (ErrorKind::invalid_argument), a model that cannot be
// found or fetched (ErrorKind::io), or one that cannot be loaded.
std::unique_ptr<Pipeline> pipeline(const std::string& task, const std::string& model = "",
                                   const LoadOptions& options = {});

}  // namespace lmpipe
