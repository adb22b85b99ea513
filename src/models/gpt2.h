#pragma once
// GPT-2 (transformers/models/gpt2/modeling_gpt2.py, v5): GPT2Model and GPT2LMHeadModel, inference
// only, with a key/value cache for generation.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "kernels/kernels.h"
#include "models/generative.h"
#include "models/gpt2_config.h"
#include "models/kv_cache.h"
#include "models/layers.h"
#include "models/session_pool.h"

namespace lmpipe {

// GPT2Block: pre-LayerNorm attention and MLP. Conv1D weights are stored (in, out); they are
// loaded transposed into nn.Linear's (out, in).
struct GPT2Block {
  nn::LayerNorm ln_1, ln_2;
  kernels::PackedLinear c_attn, attn_c_proj;  // attn.c_attn (q|k|v), attn.c_proj
  kernels::PackedLinear c_fc, mlp_c_proj;     // mlp.c_fc, mlp.c_proj
};

// Buffers of one forward (one per session).
struct GPT2Scratch {
  AlignedFloats hidden, normed, qkv, ctx, tmp, mlp, key_bias, last;
};

// What a generate() call borrows from the model's pool.
struct GPT2SessionBuffers {
  KVCache cache;
  GPT2Scratch scratch;
};

class GPT2LMHeadModel : public GenerativeModel {
 public:
  // config.json and the weights of `dir`: keys with the `transformer.` prefix or without it (the
  // Hub's gpt2), fp32/fp16/bf16, computed in config.load_options().dtype; lm_head is wte unless
  // untied in config.json.
  static std::unique_ptr<GPT2LMHeadModel> load(const std::filesystem::path& dir, const ModelConfig& config);

  const GPT2Config& gpt2_config() const { return config_; }
  // GPT2LMHeadModel.forward without a cache: logits (batch, seq_len, vocab) at every position,
  // positions from the attention mask as generate() derives them (left padding allowed).
  Tensor forward(const Batch& batch) const;

  // GPT2Model.forward on T new tokens of rows [0, rows) after the tokens in `cache`:
  // ids/positions (rows, T), key_bias (rows, cache.length() + T) with 0 or -inf per key.
  // Writes the hidden states after ln_f to hidden (rows·T, n_embd).
  void decode(const int32_t* ids, const int32_t* positions, int64_t rows, int64_t T, const float* key_bias,
              KVCache& cache, GPT2Scratch& scratch, float* hidden) const;
  // lm_head: logits (rows, vocab) of hidden (rows, n_embd).
  void lm_head(const float* hidden, int64_t rows, float* logits) const;
  // Empties `cache` for `rows` sequences of up to `capacity` tokens (reusing its memory).
  void reset_cache(KVCache& cache, int64_t rows, int64_t capacity) const;

  bool is_encoder_decoder() const override { return false; }
  int64_t vocab_size() const override { return config_.vocab_size; }
  std::optional<int64_t> max_position_embeddings() const override { return config_.n_positions; }
  const ModelConfig& config() const override { return model_config_; }
  std::unique_ptr<DecoderSession> start(const Batch& inputs, int64_t rows_per_input, int64_t max_length) const override;

 private:
  GPT2LMHeadModel(const ModelConfig& model_config, const GPT2Config& config, const nn::Weights& transformer,
                  const nn::Weights& root);

  ModelConfig model_config_;
  GPT2Config config_;
  nn::Activation activation_;
  nn::Embedding wte_, wpe_;
  std::vector<GPT2Block> h_;
  nn::LayerNorm ln_f_;
  kernels::PackedLinear lm_head_;  // (vocab, n_embd): wte's weight, or lm_head.weight when untied
  mutable SessionPool<GPT2SessionBuffers> session_buffers_;
};

std::unique_ptr<GenerativeModel> load_gpt2_lm(const std::filesystem::path& dir, const ModelConfig& config);

}  // namespace lmpipe
