#pragma once
// Next-sentence prediction with BERT's pretraining head (BertForNextSentencePrediction,
// BertForPreTraining). Not a transformers pipeline task; this mirrors what Python users write:
//
//   model = BertForNextSentencePrediction.from_pretrained("google-bert/bert-base-uncased")
//   logits = model(**tokenizer(text, text_pair, return_tensors="pt")).logits   # [IsNext, NotNext]
//
//   lmpipe::NextSentencePredictionPipeline nsp(dir);
//   auto r = nsp.predict("Istanbul is a great city to visit.", "I have been there.");
//   // r.probs[0] = P(IsNext), r.probs[1] = P(NotNext); r.logits the raw scores
#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lmpipe/pipeline.h"

namespace lmpipe {

struct NextSentenceResult {
  std::string text, text_pair;
  std::array<double, 2> logits{};  // [IsNext, NotNext]
  std::array<double, 2> probs{};   // softmax of the logits (float32, as torch computes it)
  bool is_next() const { return probs[0] > probs[1]; }
};

class NextSentencePredictionPipeline : public Pipeline {
 public:
  // A model directory with BERT's pooler and cls.seq_relationship weights.
  explicit NextSentencePredictionPipeline(const std::filesystem::path& model_dir, const LoadOptions& options = {});
  ~NextSentencePredictionPipeline() override;

  // Pairs run batched. A pair longer than the model is truncated (longest_first) with a warning.
  // Throws lmpipe::Error for an empty text or text_pair.
  std::vector<NextSentenceResult> predict(const std::vector<std::pair<std::string, std::string>>& pairs) const;
  NextSentenceResult predict(const std::string& text, const std::string& text_pair) const;

  // inputs: {"text": ..., "text_pair": ...}, a [text, text_pair] list, or a list of those.
  json operator()(const json& inputs, const json& kwargs = json::object()) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// {"text", "text_pair", "is_next", "probs": [IsNext, NotNext], "logits": [IsNext, NotNext]}
json to_json(const NextSentenceResult& result);

}  // namespace lmpipe
