#include "models/gpt2_config.h"

namespace lmpipe {

GPT2Config GPT2Config::from_config(const ModelConfig& c) {
  const std::string where = c.file().string();
  if (c.has("model_type") && c.model_type() != "gpt2")
    throw Error(where + ": model_type '" + c.model_type() + "' is not gpt2");
  GPT2Config g;
  g.vocab_size = c.get_or("vocab_size", g.vocab_size);
  g.n_positions = c.get_or<int64_t>("n_positions", "max_position_embeddings", g.n_positions);
  g.n_embd = c.get_or<int64_t>("n_embd", "hidden_size", g.n_embd);
  g.n_layer = c.get_or<int64_t>("n_layer", "num_hidden_layers", g.n_layer);
  g.n_head = c.get_or<int64_t>("n_head", "num_attention_heads", g.n_head);
  g.n_inner = c.get_or<int64_t>("n_inner", 4 * g.n_embd);
  g.activation_function = c.get_or("activation_function", g.activation_function);
  g.layer_norm_epsilon = c.get_or("layer_norm_epsilon", g.layer_norm_epsilon);
  g.scale_attn_weights = c.get_or("scale_attn_weights", g.scale_attn_weights);
  g.scale_attn_by_inverse_layer_idx = c.get_or("scale_attn_by_inverse_layer_idx", g.scale_attn_by_inverse_layer_idx);
  g.reorder_and_upcast_attn = c.get_or("reorder_and_upcast_attn", g.reorder_and_upcast_attn);
  g.tie_word_embeddings = c.get_or("tie_word_embeddings", g.tie_word_embeddings);
  // Absent means GPT2Config's default; null means None.
  auto token = [&](const char* name, std::optional<int64_t> fallback) {
    return c.raw().contains(name) ? c.get_optional<int64_t>(name) : fallback;
  };
  g.bos_token_id = token("bos_token_id", g.bos_token_id);
  g.eos_token_id = token("eos_token_id", g.eos_token_id);
  g.pad_token_id = token("pad_token_id", g.pad_token_id);

  for (auto [name, value] : {std::pair{"vocab_size", g.vocab_size}, {"n_positions", g.n_positions},
                             {"n_embd", g.n_embd}, {"n_layer", g.n_layer}, {"n_head", g.n_head}, {"n_inner", g.n_inner}})
    if (value <= 0) throw Error(where + ": field '" + name + "' must be positive");
  if (g.n_embd % g.n_head != 0)
    throw Error(where + ": n_embd " + std::to_string(g.n_embd) + " is not divisible by n_head " + std::to_string(g.n_head));
  if (c.get_or("add_cross_attention", false)) throw Error(where + ": add_cross_attention is not supported");
  return g;
}

}  // namespace lmpipe
