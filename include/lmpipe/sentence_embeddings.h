#pragma once
// Sentence embeddings from a sentence-transformers repository, built as the library builds them
// from modules.json: Transformer (sentence_bert_config.json's max_seq_length and do_lower_case)
// -> Pooling (1_Pooling/config.json: cls, max, mean, mean_sqrt_len_tokens, weightedmean,
// lasttoken) -> optional Dense layers -> optional Normalize. A model directory without
// modules.json gets mean pooling, as sentence-transformers does for a plain transformers model.
//
//   lmpipe::SentenceTransformer model(dir);  // e.g. sentence-transformers/all-MiniLM-L6-v2
//   auto embeddings = model.encode({"The weather is lovely today.", "It's so sunny outside!"});
//   float similarity = lmpipe::cos_sim(embeddings[0], embeddings[1]);
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lmpipe/pipeline.h"

namespace lmpipe {

struct SentenceEmbeddingOptions {
  // Sentences per forward pass at most (sentence-transformers' batches: consecutive runs of the
  // longest-first order; the vectors do not depend on it). On several threads, passes run side by
  // side, shorter towards the end so that the threads finish together.
  size_t batch_size = 32;
  // Text prepended to every sentence: `prompt` as given, else config_sentence_transformers.json's
  // prompts[prompt_name], else its default_prompt_name's prompt.
  std::optional<std::string> prompt;
  std::optional<std::string> prompt_name;
  // Unset: exactly the repository's modules (a Normalize module normalizes). true: also
  // L2-normalize the final vectors (encode's normalize_embeddings). false: skip the Normalize module.
  std::optional<bool> normalize;
  size_t truncate_dim = 0;  // keep the first truncate_dim dimensions (Matryoshka); 0: all
};

class SentenceTransformer : public Pipeline {
 public:
  // Throws lmpipe::Error naming the file at fault: modules.json, a module's config.json, an unknown
  // module type or pooling mode.
  explicit SentenceTransformer(const std::filesystem::path& model_dir, const LoadOptions& options = {});
  ~SentenceTransformer() override;

  // One vector per sentence, in input order. An empty sentence is embedded as the special
  // tokens alone ([CLS] [SEP]), as sentence-transformers does.
  std::vector<std::vector<float>> encode(const std::vector<std::string>& sentences,
                                         const SentenceEmbeddingOptions& options = {}) const;
  std::vector<float> encode(const std::string& sentence, const SentenceEmbeddingOptions& options = {}) const;

  // kwargs: batch_size, prompt, prompt_name, normalize_embeddings, truncate_dim. One sentence -> a
  // vector; a list -> a list of vectors.
  json operator()(const json& inputs, const json& kwargs = json::object()) const override;

  // Size of the vectors encode() returns (before truncate_dim).
  int64_t dimension() const;
  // Tokens per sentence, special tokens included; longer sentences are truncated.
  size_t max_seq_length() const;
  // config_sentence_transformers.json's similarity_fn_name: cosine (default), dot, euclidean, manhattan.
  const std::string& similarity_fn_name() const;
  // Pairwise scores of a and b with similarity_fn_name (euclidean/manhattan: negative distances).
  std::vector<std::vector<float>> similarity(const std::vector<std::vector<float>>& a,
                                             const std::vector<std::vector<float>>& b) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Cosine similarity (0 when either vector is zero). Throws lmpipe::Error on different sizes.
float cos_sim(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace lmpipe
