#pragma once
// Zero-shot classification with an NLI model, as transformers' ZeroShotClassificationPipeline:
// each (sequence, label) becomes a (premise, hypothesis) pair; the entailment logit scores it.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "lmpipe/pipeline.h"

namespace lmpipe {

struct ZeroShotOptions {
  std::string hypothesis_template = "This example is {}.";
  bool multi_label = false;
};

struct ZeroShotResult {
  std::string sequence;
  std::vector<std::string> labels;  // sorted by score, highest first
  std::vector<double> scores;
};

class ZeroShotClassificationPipeline : public Pipeline {
 public:
  // A model directory (config.json, weights, tokenizer files); options.dtype as in pipeline().
  explicit ZeroShotClassificationPipeline(const std::filesystem::path& model_dir, const LoadOptions& options = {});
  ~ZeroShotClassificationPipeline() override;

  // All (sequence, label) pairs of the call run together, packed without padding, in forward
  // passes of up to 512 tokens: passing many sequences per call is faster than one at a time
  // (bigger matrix products), and a sequence's scores do not depend on the others in the call.
  // Throws lmpipe::Error for what check_arguments rejects, no sequences, an empty text, or a
  // hypothesis too long for the model.
  std::vector<ZeroShotResult> classify(const std::vector<std::string>& sequences,
                                       const std::vector<std::string>& candidate_labels,
                                       const ZeroShotOptions& options = {}) const;
  ZeroShotResult classify(const std::string& sequence, const std::vector<std::string>& candidate_labels,
                          const ZeroShotOptions& options = {}) const;

  // kwargs: candidate_labels (list or comma-separated string), hypothesis_template, multi_label.
  json operator()(const json& inputs, const json& kwargs = json::object()) const override;
  // Python's `classifier(sequences, candidate_labels, ...)`.
  Signature signature() const override { return {"sequences", {"candidate_labels"}}; }
  // Calls with different labels and templates share forward passes as (premise, hypothesis) pairs.
  std::unique_ptr<Call> prepare(const json& inputs, const json& kwargs = json::object()) const override;
  std::vector<json> run(const std::vector<const Call*>& calls) const override;

  // "a, b,,c" -> {"a", "b", "c"}, as the Python pipeline parses a label string.
  static std::vector<std::string> parse_labels(const std::string& comma_separated);

  // Throws lmpipe::Error when transformers would reject these arguments: no labels, or a
  // hypothesis_template that Python's str.format cannot format with a label or that formatting
  // leaves unchanged (no field for the label). Needs no model: check before loading one.
  static void check_arguments(const std::vector<std::string>& candidate_labels, const ZeroShotOptions& options);
  // The hypothesis of each label, as `hypothesis_template.format(label)`; throws as check_arguments.
  static std::vector<std::string> hypotheses(const std::vector<std::string>& candidate_labels,
                                             const ZeroShotOptions& options);
  // Throws lmpipe::Error when a hypothesis leaves no room for any text in the model's positions
  // (then every text fails: only the text can be truncated).
  void check_hypotheses_fit(const std::vector<std::string>& candidate_labels, const ZeroShotOptions& options) const;
  // The id of the first label2id entry starting with "entail" (case-insensitive), or -1.
  int entailment_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

json to_json(const ZeroShotResult& result);

}  // namespace lmpipe
