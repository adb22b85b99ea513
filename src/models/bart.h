#pragma once
// BART (transformers/models/bart/modeling_bart.py): encoder, decoder with a key/value cache,
// BartForSequenceClassification and BartForConditionalGeneration (generation step by step).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "models/generative.h"
#include "models/kv_cache.h"
#include "models/layers.h"
#include "models/model.h"
#include "models/session_pool.h"

namespace lmpipe {

// BartConfig: the fields the forward pass uses.
struct BartConfig {
  int64_t vocab_size = 0, d_model = 0, max_position_embeddings = 0;
  int64_t encoder_layers = 0, encoder_attention_heads = 0, encoder_ffn_dim = 0;
  int64_t decoder_layers = 0, decoder_attention_heads = 0, decoder_ffn_dim = 0;
  nn::Activation activation = nn::Activation::Gelu;
  bool scale_embedding = false;
  int32_t pad_token_id = 1, eos_token_id = 2, decoder_start_token_id = 2;
  // Errors name config.json and the field.
  static BartConfig from_config(const ModelConfig& config);
};

// Buffers reused by every forward call (one per concurrent caller).
struct BartScratch {
  AlignedFloats qkv, q, ctx, tmp, ffn, cross_kv;
  std::vector<int32_t> positions;
};

// BartEncoderLayer / BartDecoderLayer weights.
struct BartEncoderLayer {
  kernels::PackedLinear qkv, out_proj;  // self_attn.{q,k,v}_proj fused, self_attn.out_proj
  nn::LayerNorm self_attn_layer_norm, final_layer_norm;
  kernels::PackedLinear fc1, fc2;
};
struct BartDecoderLayer {
  kernels::PackedLinear self_qkv, self_out;    // self_attn.{q,k,v}_proj fused, self_attn.out_proj
  nn::LayerNorm self_attn_layer_norm;
  kernels::PackedLinear cross_q, cross_kv, cross_out;  // encoder_attn.q_proj, {k,v}_proj fused, out_proj
  nn::LayerNorm encoder_attn_layer_norm, final_layer_norm;
  kernels::PackedLinear fc1, fc2;
};

// What the decoder keeps between calls (HF EncoderDecoderCache): the cross-attention keys/values
// of each input's encoder output, computed once and shared by that input's rows (beams), and the
// self-attention keys/values of every row's decoder tokens so far.
struct BartDecoderCache {
  int64_t inputs = 0, rows_per_input = 1;  // decoder rows = inputs · rows_per_input
  int64_t encoder_len = 0;
  std::vector<float> encoder_key_bias;       // (inputs, encoder_len): 0 or -inf
  std::vector<AlignedFloats> cross_kv;       // per layer (inputs, encoder_len, 2·d_model): keys then values
  KVCache self;                              // (layers, rows, capacity, d_model)
  int64_t rows() const { return inputs * rows_per_input; }
};

// What a generate() call borrows from the model's pool.
struct BartSessionBuffers {
  BartScratch scratch;
  BartDecoderCache cache;
  AlignedFloats last;
};

// BartModel: shared token embeddings, BartEncoder, BartDecoder.
class BartModel {
 public:
  // `model` is the checkpoint seen at the BartModel prefix (usually "model").
  BartModel(const BartConfig& config, const nn::Weights& model);
  const BartConfig& config() const { return config_; }

  // BartEncoder: hidden (batch, seq_len, d_model) of batch.input_ids under batch.attention_mask.
  Tensor encode(const Batch& batch, BartScratch& scratch) const;
  // The same for a packed batch: hidden (batch.tokens(), d_model), sequence after sequence.
  Tensor encode(const PackedBatch& batch, BartScratch& scratch) const;
  // BartDecoder over whole sequences at once (teacher forcing, no cache): `ids` (seqs.tokens())
  // attend causally within their sequence and to the same sequence of `encoder_hidden`
  // (encoder_seqs.tokens(), d_model), whose key_bias masks encoder padding. Returns the last
  // hidden state (seqs.tokens(), d_model), or with `only_rows` (one row per sequence, e.g. its
  // last <eos>) just those rows (seqs.count(), d_model), the last layer computing no other.
  Tensor decode_sequences(const int32_t* ids, const nn::SequenceLayout& seqs, const float* encoder_hidden,
                          const nn::SequenceLayout& encoder_seqs, BartScratch& scratch,
                          const std::vector<int64_t>* only_rows = nullptr) const;
  // Empties `cache` (keeping its buffers) for rows_per_input decoder rows per input and room for
  // `capacity` decoder tokens per row, and fills it with the cross-attention keys/values of
  // `encoder_hidden` (inputs, Tenc, d_model); attention_mask (inputs·Tenc, empty = all ones) masks
  // the encoder's padding.
  void start_decoder(const Tensor& encoder_hidden, const std::vector<int32_t>& attention_mask, int64_t rows_per_input,
                     int64_t capacity, BartDecoderCache& cache) const;
  // BartDecoder on `ids` (rows, Tnew), continuing after the cache's tokens (causal self-attention,
  // cross-attention on the encoder). Returns the last hidden state (rows, Tnew, d_model).
  Tensor decode(const int32_t* ids, int64_t Tnew, BartDecoderCache& cache, BartScratch& scratch) const;
  // The module of `model` (the BartModel prefix) that holds the shared token embeddings: shared,
  // or encoder/decoder.embed_tokens (tied to it) when the checkpoint stores only those.
  static nn::Weights shared_module(const nn::Weights& model);

 private:
  void embed(const nn::LayerNorm& layernorm_embedding, const nn::Embedding& positions, const int32_t* ids,
             const int32_t* pos, int64_t n, float* out) const;
  void run_encoder(const int32_t* ids, const nn::SequenceLayout& seqs, BartScratch& scratch, float* h) const;

  BartConfig config_;
  nn::Embedding shared_;                       // shared / encoder.embed_tokens / decoder.embed_tokens (tied)
  nn::Embedding encoder_positions_, decoder_positions_;  // BartLearnedPositionalEmbedding (max_pos + 2, d)
  nn::LayerNorm encoder_layernorm_embedding_, decoder_layernorm_embedding_;
  std::vector<BartEncoderLayer> encoder_layers_;
  std::vector<BartDecoderLayer> decoder_layers_;
};

// transformers.models.bart.modeling_bart.shift_tokens_right: decoder inputs (batch, T) for a
// teacher-forced pass over input_ids.
std::vector<int32_t> shift_tokens_right(const std::vector<int32_t>& input_ids, int64_t batch, int64_t T,
                                        int32_t pad_token_id, int32_t decoder_start_token_id);

// BartForSequenceClassification: BartModel + BartClassificationHead on the last <eos> of each row.
class BartForSequenceClassification : public SequenceClassifier {
 public:
  struct Output {
    Tensor logits;                     // (batch, num_labels)
    Tensor encoder_last_hidden_state;  // (batch, seq_len, d_model)
    Tensor decoder_last_hidden_state;  // (batch, seq_len, d_model)
  };
  static std::unique_ptr<BartForSequenceClassification> load(const std::filesystem::path& dir, const ModelConfig& config);

  Output forward(const Batch& batch) const;
  const BartModel& model() const { return model_; }
  Tensor classify(const Batch& batch) const override { return forward(batch).logits; }
  Tensor classify_packed(const PackedBatch& batch) const override;
  const LabelMaps& labels() const override { return labels_; }
  int64_t max_positions() const override { return model_.config().max_position_embeddings; }

 private:
  BartForSequenceClassification(const BartConfig& config, const nn::Weights& root, LabelMaps labels);
  std::vector<int64_t> eos_rows(const std::vector<int32_t>& input_ids, const nn::SequenceLayout& seqs) const;
  Tensor head(const float* sentence, int64_t B) const;

  LabelMaps labels_;
  BartModel model_;
  kernels::PackedLinear dense_, out_proj_;  // BartClassificationHead
  mutable std::mutex mutex_;                // guards scratch_
  mutable BartScratch scratch_;
};

// BartForConditionalGeneration: BartModel + the LM head tied to the shared embeddings (lm_head.weight
// when config.json unties it) + final_logits_bias.
class BartForConditionalGeneration : public GenerativeModel {
 public:
  static std::unique_ptr<BartForConditionalGeneration> load(const std::filesystem::path& dir, const ModelConfig& config);

  const BartModel& model() const { return model_; }
  // logits (rows, vocab) of decoder hidden states (rows, d_model).
  void lm_head(const float* hidden, int64_t rows, float* logits) const;

  bool is_encoder_decoder() const override { return true; }
  int64_t vocab_size() const override { return model_.config().vocab_size; }
  std::optional<int64_t> max_position_embeddings() const override { return model_.config().max_position_embeddings; }
  const ModelConfig& config() const override { return model_config_; }
  std::unique_ptr<DecoderSession> start(const Batch& inputs, int64_t rows_per_input, int64_t max_length) const override;

 private:
  BartForConditionalGeneration(const ModelConfig& model_config, const BartConfig& config, const nn::Weights& root);

  ModelConfig model_config_;
  BartModel model_;
  kernels::PackedLinear lm_head_;  // (vocab, d_model) with final_logits_bias as its bias
  mutable SessionPool<BartSessionBuffers> session_buffers_;
};

std::unique_ptr<GenerativeModel> load_bart_lm(const std::filesystem::path& dir, const ModelConfig& config);

}  // namespace lmpipe
