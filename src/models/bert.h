#pragma once
// BERT, RoBERTa, XLM-RoBERTa and CamemBERT (transformers/models/{bert,roberta,xlm_roberta,camembert}/modeling_*.py):
// one encoder, the variants differ in config (position ids, pooler, classification head).
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

// BertConfig / RobertaConfig / XLMRobertaConfig: the fields the forward pass uses.
struct BertConfig {
  int64_t vocab_size = 0, hidden_size = 0, num_hidden_layers = 0, num_attention_heads = 0, intermediate_size = 0;
  int64_t max_position_embeddings = 0, type_vocab_size = 0;
  nn::Activation hidden_act = nn::Activation::Gelu;
  float layer_norm_eps = 1e-12f;
  int32_t pad_token_id = 0;
  // RobertaEmbeddings: position ids start after padding_idx and count only non-padding tokens.
  bool roberta_positions = false;
  // The base model's key prefix in *For* checkpoints ("bert" or "roberta").
  std::string base_model_prefix;
  // The masked-LM decoder is the word embedding matrix (transformers' default), not a weight of its own.
  bool tie_word_embeddings = true;
  // Errors name config.json and the field.
  static BertConfig from_config(const ModelConfig& config);
  // Longest input the position embeddings allow.
  int64_t max_positions() const;
};

// Buffers reused by every forward call (one per concurrent caller).
struct BertScratch : nn::EncoderScratch {
  std::vector<int32_t> positions, token_types;
};

// BertModel / RobertaModel: embeddings, encoder, optional pooler.
class BertModel : public TokenEncoder {
 public:
  struct Output {
    Tensor last_hidden_state;  // (batch, seq_len, hidden)
    Tensor pooler_output;      // (batch, hidden); undefined when the checkpoint has no pooler
  };
  // A model directory holding a BertModel, or any Bert*/Roberta* checkpoint (the heads are ignored).
  static std::unique_ptr<BertModel> load(const std::filesystem::path& dir, const LoadOptions& options = {});
  // `config.load_options()` choose the dtype.
  static std::unique_ptr<BertModel> load(const std::filesystem::path& dir, const ModelConfig& config);
  // The checkpoint seen at the base model's prefix when its keys carry it (*For* checkpoints),
  // else at the root (checkpoints of the bare model).
  static nn::Weights base_weights(const BertConfig& config, const nn::Weights& root);
  // `bert` is the checkpoint seen at the base model's prefix; the pooler is loaded when present.
  BertModel(const BertConfig& config, const nn::Weights& bert);
  const BertConfig& config() const { return config_; }
  bool has_pooler() const { return pooler_.out_features() > 0; }

  Output forward(const Batch& batch) const;
  // TokenEncoder: last_hidden_state.
  Tensor encode(const Batch& batch) const override;
  Tensor encode_packed(const PackedBatch& batch) const override;
  bool encodes_concurrently() const override { return true; }
  int64_t hidden_size() const override { return config_.hidden_size; }
  int64_t max_positions() const override { return config_.max_positions(); }
  // BertEmbeddings + BertEncoder: last hidden state (batch, seq_len, hidden).
  Tensor encode(const Batch& batch, BertScratch& scratch) const;
  // The same for a packed batch: last hidden state (batch.tokens(), hidden), sequence after sequence.
  Tensor encode(const PackedBatch& batch, BertScratch& scratch) const;
  // BertPooler: tanh(dense(hidden[:, 0])) -> (batch, hidden).
  Tensor pool(const Tensor& last_hidden_state) const;
  // BertPooler on the given rows of a (tokens, hidden) state, e.g. each sequence's first token.
  Tensor pool_rows(const float* hidden, const std::vector<int64_t>& rows) const;

 private:
  void positions(const int32_t* ids, int64_t n, int32_t* out) const;
  void embed(const int32_t* ids, const std::vector<int32_t>& token_type_ids, int64_t n, BertScratch& scratch,
             float* out) const;
  void check_length(int64_t T) const;

  BertConfig config_;
  nn::Embedding word_embeddings_, position_embeddings_, token_type_embeddings_;
  nn::LayerNorm embeddings_norm_;
  std::vector<nn::EncoderLayer> layers_;  // BertLayer
  kernels::PackedLinear pooler_;
  mutable SessionPool<BertScratch> scratch_;  // one set of buffers per concurrent call
};

// BertForSequenceClassification (pooler -> classifier) and Roberta/XLMRobertaForSequenceClassification
// (RobertaClassificationHead on <s>: dense -> tanh -> out_proj).
class BertForSequenceClassification : public SequenceClassifier {
 public:
  static std::unique_ptr<BertForSequenceClassification> load(const std::filesystem::path& dir, const ModelConfig& config);

  Tensor classify(const Batch& batch) const override;
  Tensor classify_packed(const PackedBatch& batch) const override;
  const LabelMaps& labels() const override { return labels_; }
  int64_t max_positions() const override { return model_.config().max_positions(); }

 private:
  Tensor head(const float* hidden, const std::vector<int64_t>& rows) const;
  BertForSequenceClassification(const BertConfig& config, const nn::Weights& root, LabelMaps labels);

  LabelMaps labels_;
  BertModel model_;
  kernels::PackedLinear dense_;     // classifier.dense (RoBERTa head only)
  kernels::PackedLinear out_proj_;  // classifier (BERT) or classifier.out_proj (RoBERTa)
  mutable std::mutex mutex_;        // guards scratch_
  mutable BertScratch scratch_;
};

// BertForMaskedLM / BertForPreTraining's prediction head (BertLMPredictionHead: transform.dense,
// hidden_act, transform.LayerNorm, decoder) and Roberta/XLMRobertaForMaskedLM's RobertaLMHead
// (dense, gelu, layer_norm, decoder). The decoder is tied to the word embeddings unless config.json
// says tie_word_embeddings: false; its bias is `bias` or, in older files, `decoder.bias`.
class BertForMaskedLM : public MaskedLM {
 public:
  static std::unique_ptr<BertForMaskedLM> load(const std::filesystem::path& dir, const ModelConfig& config);

  Tensor logits_at(const Batch& batch, const std::vector<int64_t>& positions) const override;
  int64_t vocab_size() const override { return model_.config().vocab_size; }
  int64_t max_positions() const override { return model_.config().max_positions(); }

 private:
  BertForMaskedLM(const BertConfig& config, const nn::Weights& root);

  BertModel model_;
  nn::MaskedLMHead head_;
  mutable std::mutex mutex_;  // guards scratch_
  mutable BertScratch scratch_;
};

// BertForNextSentencePrediction / BertForPreTraining: pooler -> cls.seq_relationship (2 logits).
class BertForNextSentencePrediction : public NextSentencePredictor {
 public:
  static std::unique_ptr<BertForNextSentencePrediction> load(const std::filesystem::path& dir,
                                                              const ModelConfig& config);

  Tensor next_sentence_logits(const Batch& batch) const override;
  int64_t max_positions() const override { return model_.config().max_positions(); }

 private:
  BertForNextSentencePrediction(const BertConfig& config, const nn::Weights& root);

  BertModel model_;
  kernels::PackedLinear seq_relationship_;
  mutable std::mutex mutex_;  // guards scratch_
  mutable BertScratch scratch_;
};

}  // namespace lmpipe
