#pragma once
// Masked-token prediction, as transformers' FillMaskPipeline (v5):
//
//   lmpipe::FillMaskPipeline unmasker("google-bert/bert-base-uncased" resolved to a directory);
//   auto masks = unmasker.fill("If you don't [MASK] at the sign, you will get a ticket.");
//   // masks[0][0]: {score 0.95, token 2644, token_str "stop", sequence "if you don't stop at the sign, ..."}
//
// Every mask token of an input is scored on its own (softmax over the whole vocabulary at that
// position: disjoint, not joint, probabilities), top_k candidates each, highest first.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lmpipe/pipeline.h"

namespace lmpipe {

struct FillMaskOptions {
  int64_t top_k = 5;
  // Restricts the candidates to these tokens; scores stay full-vocabulary probabilities (not
  // renormalized). A target that is not a vocabulary entry is tokenized and its first token used,
  // with a warning, as transformers does (so "Ġword" is the exact BPE form of " word").
  std::vector<std::string> targets;
  // transformers' tokenizer_kwargs: truncate inputs longer than max_length (0: the model's limit).
  bool truncation = false;
  size_t max_length = 0;
};

struct FillMaskCandidate {
  double score = 0;         // probability (float32, as transformers computes it)
  int32_t token = 0;        // vocabulary id
  std::string token_str;    // tokenizer.decode([token])
  std::string sequence;     // the input with this mask filled (special tokens kept when several masks)
};

// One input's predictions: one list of candidates per mask, in the order the masks appear.
using FillMaskResult = std::vector<std::vector<FillMaskCandidate>>;

class FillMaskPipeline : public Pipeline {
 public:
  // A model directory (config.json, weights, tokenizer files) with a masked-LM head.
  explicit FillMaskPipeline(const std::filesystem::path& model_dir, const LoadOptions& options = {});
  ~FillMaskPipeline() override;

  // Inputs run batched. Throws lmpipe::Error when an input has no mask token, when the tokenizer
  // has none, or when no target remains.
  std::vector<FillMaskResult> fill(const std::vector<std::string>& texts, const FillMaskOptions& options = {}) const;
  FillMaskResult fill(const std::string& text, const FillMaskOptions& options = {}) const;

  // kwargs: top_k, targets (a string or a list), tokenizer_kwargs {truncation, max_length}.
  // JSON as Python returns it: one mask -> [candidate...]; several -> [[candidate...] per mask];
  // a list of inputs -> a list of those (a list of one is unwrapped, as in transformers).
  json operator()(const json& inputs, const json& kwargs = json::object()) const override;

  // The tokenizer's mask token ("[MASK]", "<mask>").
  const std::string& mask_token() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// {"score", "token", "token_str", "sequence"}, in that order.
json to_json(const FillMaskCandidate& candidate);
// One input's result shaped as Python returns it: a list of candidates for one mask, a list of
// such lists for several.
json to_json(const FillMaskResult& result);

}  // namespace lmpipe
