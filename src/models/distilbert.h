#pragma once
// DistilBERT (transformers/models/distilbert/modeling_distilbert.py): no token types, learned or
// sinusoidal positions, post-LN transformer blocks.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "models/layers.h"
#include "models/model.h"
#include "models/session_pool.h"

namespace lmpipe {

// DistilBertConfig: the fields the forward pass uses.
struct DistilBertConfig {
  int64_t vocab_size = 0, dim = 0, n_layers = 0, n_heads = 0, hidden_dim = 0, max_position_embeddings = 0;
  nn::Activation activation = nn::Activation::Gelu;
  bool sinusoidal_pos_embds = false;
  // vocab_projector is the word embedding matrix (transformers' default), not a weight of its own.
  bool tie_word_embeddings = true;
  // Errors name config.json and the field.
  static DistilBertConfig from_config(const ModelConfig& config);
};

// Buffers reused by every forward call (one per concurrent caller).
struct DistilBertScratch : nn::EncoderScratch {
  std::vector<int32_t> positions;
};

// DistilBertModel: Embeddings + Transformer.
class DistilBertModel : public TokenEncoder {
 public:
  // A model directory holding a DistilBertModel or any DistilBert* checkpoint (the heads are ignored).
  static std::unique_ptr<DistilBertModel> load(const std::filesystem::path& dir, const ModelConfig& config);
  // The checkpoint seen at "distilbert" when its keys carry that prefix (*For* checkpoints), else at the root.
  static nn::Weights base_weights(const nn::Weights& root);
  // `distilbert` is the checkpoint seen at the base model's prefix.
  DistilBertModel(const DistilBertConfig& config, const nn::Weights& distilbert);
  const DistilBertConfig& config() const { return config_; }
  // Last hidden state (batch, seq_len, dim).
  Tensor encode(const Batch& batch, DistilBertScratch& scratch) const;
  // The same for a packed batch: (batch.tokens(), dim), sequence after sequence.
  Tensor encode(const PackedBatch& batch, DistilBertScratch& scratch) const;

  // TokenEncoder
  Tensor encode(const Batch& batch) const override;
  Tensor encode_packed(const PackedBatch& batch) const override;
  bool encodes_concurrently() const override { return true; }
  int64_t hidden_size() const override { return config_.dim; }
  int64_t max_positions() const override { return config_.max_position_embeddings; }

 private:
  void run(const int32_t* ids, int64_t n, const nn::SequenceLayout& seqs, DistilBertScratch& s, float* h) const;
  void check_length(int64_t T) const;
  DistilBertConfig config_;
  nn::Embedding word_embeddings_, position_embeddings_;
  nn::LayerNorm embeddings_norm_;
  std::vector<nn::EncoderLayer> layers_;  // TransformerBlock
  mutable SessionPool<DistilBertScratch> scratch_;  // one set of buffers per concurrent call
};

// DistilBertForSequenceClassification: first token -> pre_classifier -> ReLU -> classifier.
class DistilBertForSequenceClassification : public SequenceClassifier {
 public:
  static std::unique_ptr<DistilBertForSequenceClassification> load(const std::filesystem::path& dir, const ModelConfig& config);

  Tensor classify(const Batch& batch) const override;
  Tensor classify_packed(const PackedBatch& batch) const override;
  const LabelMaps& labels() const override { return labels_; }
  int64_t max_positions() const override { return model_.config().max_position_embeddings; }

 private:
  Tensor head(const float* hidden, const std::vector<int64_t>& rows) const;
  DistilBertForSequenceClassification(const DistilBertConfig& config, const nn::Weights& root, LabelMaps labels);

  LabelMaps labels_;
  DistilBertModel model_;
  kernels::PackedLinear pre_classifier_, classifier_;
  mutable std::mutex mutex_;  // guards scratch_
  mutable DistilBertScratch scratch_;
};

// DistilBertForMaskedLM: vocab_projector(vocab_layer_norm(activation(vocab_transform(h)))), the
// projector tied to the word embeddings unless config.json says tie_word_embeddings: false.
class DistilBertForMaskedLM : public MaskedLM {
 public:
  static std::unique_ptr<DistilBertForMaskedLM> load(const std::filesystem::path& dir, const ModelConfig& config);

  Tensor logits_at(const Batch& batch, const std::vector<int64_t>& positions) const override;
  int64_t vocab_size() const override { return model_.config().vocab_size; }
  int64_t max_positions() const override { return model_.config().max_position_embeddings; }

 private:
  DistilBertForMaskedLM(const DistilBertConfig& config, const nn::Weights& root);

  DistilBertModel model_;
  nn::MaskedLMHead head_;
  mutable std::mutex mutex_;  // guards scratch_
  mutable DistilBertScratch scratch_;
};

}  // namespace lmpipe
