#pragma once
// T5's config.json, typed (transformers models/t5/configuration_t5.py T5Config, with its defaults,
// attribute_map aliases and the activation parsed from feed_forward_proj).
#include <cstdint>
#include <string>
#include <vector>

#include "io/config.h"

namespace lmpipe {

struct T5Config {
  int64_t vocab_size = 32128;
  int64_t d_model = 512;
  int64_t d_kv = 64;  // per-head width; inner attention width is num_heads * d_kv
  int64_t d_ff = 2048;
  int64_t num_layers = 6;
  int64_t num_decoder_layers = 6;  // defaults to num_layers
  int64_t num_heads = 8;
  int64_t relative_attention_num_buckets = 32;
  int64_t relative_attention_max_distance = 128;
  double layer_norm_epsilon = 1e-6;
  std::string feed_forward_proj = "relu";  // "{act}" or "gated-{act}"
  std::string dense_act_fn = "relu";       // from feed_forward_proj; "gated-gelu" means gelu_new
  bool is_gated_act = false;
  bool tie_word_embeddings = true;
  // Scale the decoder output by d_model^-0.5 before the LM head. transformers 5.17 saves it;
  // older configs imply it by tie_word_embeddings. The head itself is lm_head.weight when the
  // checkpoint has it, else shared.weight (Checkpoint::contains).
  bool scale_decoder_outputs = true;
  int64_t pad_token_id = 0;
  std::vector<int64_t> eos_token_id{1};
  int64_t decoder_start_token_id = 0;  // defaults to pad_token_id

  // Throws naming config.json and the field when a value has the wrong type or is invalid.
  static T5Config from_config(const ModelConfig& config);
};

}  // namespace lmpipe
