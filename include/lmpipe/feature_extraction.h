#pragma once
// Token features, as transformers' FeatureExtractionPipeline (v5): the base model's last hidden
// state for every token of an input, special tokens included, no pooling (for sentence vectors
// see sentence_embeddings.h).
//
//   lmpipe::FeatureExtractionPipeline extractor(dir);       // e.g. distilbert/distilbert-base-cased
//   auto f = extractor.extract("Hello world");             // f.tokens x f.hidden values
//   json j = extractor("Hello world");                     // [[[...] per token]] as Python: [1][tokens][hidden]
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lmpipe/pipeline.h"

namespace lmpipe {

struct FeatureExtractionOptions {
  // transformers' truncation / tokenize_kwargs: truncate to max_length tokens (0: the tokenizer's
  // model_max_length, capped at the model's positions). Without it a longer input is an error.
  bool truncation = false;
  size_t max_length = 0;
  bool add_special_tokens = true;
};

// last_hidden_state of one input: `tokens` rows of `hidden` values, row-major.
struct TokenFeatures {
  int64_t tokens = 0, hidden = 0;
  std::vector<float> values;
};

class FeatureExtractionPipeline : public Pipeline {
 public:
  // A model directory (config.json, weights, tokenizer files): a bare encoder or any checkpoint of
  // its family (the heads are ignored, as transformers' AutoModel does).
  explicit FeatureExtractionPipeline(const std::filesystem::path& model_dir, const LoadOptions& options = {});
  ~FeatureExtractionPipeline() override;

  // Inputs run batched. Throws lmpipe::Error for an empty text or an input longer than the model
  // without truncation.
  std::vector<TokenFeatures> extract(const std::vector<std::string>& texts,
                                     const FeatureExtractionOptions& options = {}) const;
  TokenFeatures extract(const std::string& text, const FeatureExtractionOptions& options = {}) const;

  // kwargs: truncation, tokenize_kwargs {truncation, max_length, add_special_tokens}. One input ->
  // [1][tokens][hidden]; a list of inputs -> a list of those.
  json operator()(const json& inputs, const json& kwargs = json::object()) const override;

  int64_t hidden_size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// [1][tokens][hidden], the nesting Python's .tolist() gives.
json to_json(const TokenFeatures& features);

}  // namespace lmpipe
