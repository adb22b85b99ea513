#pragma once
// GPT-2's config.json, typed (transformers models/gpt2/configuration_gpt2.py GPT2Config, with its
// defaults and attribute_map aliases: hidden_size, max_position_embeddings, num_attention_heads,
// num_hidden_layers).
#include <cstdint>
#include <optional>
#include <string>

#include "io/config.h"

namespace lmpipe {

struct GPT2Config {
  int64_t vocab_size = 50257;
  int64_t n_positions = 1024;
  int64_t n_embd = 768;
  int64_t n_layer = 12;
  int64_t n_head = 12;
  int64_t n_inner = 0;  // MLP width; config.json's null means 4 * n_embd (resolved here)
  std::string activation_function = "gelu_new";
  double layer_norm_epsilon = 1e-5;
  bool scale_attn_weights = true;
  bool scale_attn_by_inverse_layer_idx = false;
  bool reorder_and_upcast_attn = false;  // same math, only upcasts to fp32, which lmpipe always is
  bool tie_word_embeddings = true;       // lm_head shares wte.weight
  std::optional<int64_t> bos_token_id = 50256;
  std::optional<int64_t> eos_token_id = 50256;
  std::optional<int64_t> pad_token_id;

  int64_t head_dim() const { return n_embd / n_head; }

  // Throws naming config.json and the field when a value is missing its type or inconsistent
  // (e.g. n_embd not divisible by n_head), or when the model needs cross-attention.
  static GPT2Config from_config(const ModelConfig& config);
};

}  // namespace lmpipe
