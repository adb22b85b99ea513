#pragma once
// T5 (transformers/models/t5/modeling_t5.py, v5): T5ForConditionalGeneration for T5 v1.0 (ReLU)
// and v1.1 / Flan-T5 (gated GELU), inference only, with key/value caches for generation.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "kernels/kernels.h"
#include "models/generative.h"
#include "models/kv_cache.h"
#include "models/layers.h"
#include "models/session_pool.h"
#include "models/t5_config.h"

namespace lmpipe {

// T5Block of either stack. Linear layers have no bias; norms are T5LayerNorm (RMS, weight only).
struct T5Block {
  Tensor self_norm;                        // layer.0.layer_norm
  kernels::PackedLinear self_qkv, self_o;  // layer.0.SelfAttention.{q,k,v} fused, .o
  Tensor cross_norm;                       // decoder: layer.1.layer_norm
  kernels::PackedLinear cross_q, cross_kv, cross_o;  // decoder: layer.1.EncDecAttention.q, {k,v} fused, .o
  Tensor ff_norm;                          // layer.{1|2}.layer_norm
  kernels::PackedLinear wi, wo;            // DenseReluDense: wi, or wi_0|wi_1 fused when gated; wo
};

// Encoder keys/values per input (shared by its rows) and the decoder's self-attention cache.
struct T5DecoderCache {
  int64_t inputs = 0, rows_per_input = 1, encoder_len = 0;
  std::vector<float> encoder_key_bias;       // (inputs, encoder_len): 0 or -inf
  std::vector<AlignedFloats> cross_kv;       // per layer (inputs, encoder_len, 2·inner): keys then values
  KVCache self;                              // (layers, rows, capacity, inner)
  int64_t rows() const { return inputs * rows_per_input; }
};

struct T5Scratch {
  AlignedFloats normed, qkv, q, ctx, tmp, ff, position_bias, last;
  std::vector<float> key_bias;
};

// What a generate() call borrows from the model's pool.
struct T5SessionBuffers {
  T5Scratch scratch;
  T5DecoderCache cache;
};

// T5Attention._relative_position_bucket: the bucket of key position minus query position.
int64_t t5_relative_position_bucket(int64_t relative_position, bool bidirectional, int64_t num_buckets,
                                    int64_t max_distance);

class T5ForConditionalGeneration : public GenerativeModel {
 public:
  static std::unique_ptr<T5ForConditionalGeneration> load(const std::filesystem::path& dir, const ModelConfig& config);

  const T5Config& t5_config() const { return config_; }
  // T5Stack (encoder): last hidden state (batch, seq_len, d_model), after the final layer norm.
  Tensor encode(const Batch& batch, T5Scratch& scratch) const;
  // Empties `cache` for rows_per_input rows per input and `capacity` decoder tokens per row, and
  // computes the cross-attention keys/values of encoder_hidden (inputs, Tenc, d_model).
  void start_decoder(const Tensor& encoder_hidden, const std::vector<int32_t>& attention_mask, int64_t rows_per_input,
                     int64_t capacity, T5DecoderCache& cache) const;
  // T5Stack (decoder) on ids (rows, T) after the cached tokens: hidden (rows, T, d_model) after
  // the final layer norm.
  Tensor decode(const int32_t* ids, int64_t T, T5DecoderCache& cache, T5Scratch& scratch) const;
  // The LM head on decoder hidden states (rows, d_model): logits (rows, vocab), after the
  // d_model^-0.5 rescale when scale_decoder_outputs.
  void lm_head(const float* hidden, int64_t rows, float* logits) const;

  bool is_encoder_decoder() const override { return true; }
  int64_t vocab_size() const override { return config_.vocab_size; }
  std::optional<int64_t> max_position_embeddings() const override { return std::nullopt; }
  const ModelConfig& config() const override { return model_config_; }
  std::unique_ptr<DecoderSession> start(const Batch& inputs, int64_t rows_per_input, int64_t max_length) const override;

 private:
  T5ForConditionalGeneration(const ModelConfig& model_config, const T5Config& config, const nn::Weights& root);
  // T5LayerFF: h += wo(act(wi(norm(h)))) (gated: act(wi_0) * wi_1).
  void feed_forward(const T5Block& block, float* h, int64_t rows, T5Scratch& s) const;
  // compute_bias: position bias (H, Tq, Tk) for queries at [first_query, first_query + Tq).
  void position_bias(const Tensor& table, bool bidirectional, int64_t first_query, int64_t Tq, int64_t Tk,
                     AlignedFloats& out) const;

  ModelConfig model_config_;
  T5Config config_;
  nn::Activation activation_;
  nn::Embedding shared_;
  Tensor encoder_relative_bias_, decoder_relative_bias_;  // block.0's relative_attention_bias (buckets, H)
  std::vector<T5Block> encoder_, decoder_;
  Tensor encoder_final_norm_, decoder_final_norm_;
  kernels::PackedLinear lm_head_;  // (vocab, d_model): lm_head.weight, or shared
  mutable SessionPool<T5SessionBuffers> session_buffers_;
};

std::unique_ptr<GenerativeModel> load_t5_lm(const std::filesystem::path& dir, const ModelConfig& config);

}  // namespace lmpipe
