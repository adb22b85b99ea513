#include "models/t5_config.h"

namespace lmpipe {

T5Config T5Config::from_config(const ModelConfig& c) {
  const std::string where = c.file().string();
  if (c.has("model_type") && c.model_type() != "t5") throw Error(where + ": model_type '" + c.model_type() + "' is not t5");
  T5Config t;
  t.vocab_size = c.get_or("vocab_size", t.vocab_size);
  t.d_model = c.get_or<int64_t>("d_model", "hidden_size", t.d_model);
  t.d_kv = c.get_or("d_kv", t.d_kv);
  t.d_ff = c.get_or("d_ff", t.d_ff);
  t.num_layers = c.get_or<int64_t>("num_layers", "num_hidden_layers", t.num_layers);
  t.num_decoder_layers = c.get_or("num_decoder_layers", t.num_layers);
  t.num_heads = c.get_or<int64_t>("num_heads", "num_attention_heads", t.num_heads);
  t.relative_attention_num_buckets = c.get_or("relative_attention_num_buckets", t.relative_attention_num_buckets);
  t.relative_attention_max_distance = c.get_or("relative_attention_max_distance", t.relative_attention_max_distance);
  t.layer_norm_epsilon = c.get_or("layer_norm_epsilon", t.layer_norm_epsilon);
  t.feed_forward_proj = c.get_or("feed_forward_proj", t.feed_forward_proj);
  t.tie_word_embeddings = c.get_or("tie_word_embeddings", t.tie_word_embeddings);
  t.scale_decoder_outputs = c.get_or("scale_decoder_outputs", t.tie_word_embeddings);
  t.pad_token_id = c.get_or("pad_token_id", t.pad_token_id);
  if (c.raw().contains("eos_token_id")) t.eos_token_id = c.token_ids("eos_token_id");
  t.decoder_start_token_id = c.get_or("decoder_start_token_id", t.pad_token_id);

  // "relu", "gelu", "gated-gelu", "gated-silu", ...
  const std::string& proj = t.feed_forward_proj;
  const size_t dash = proj.find('-');
  t.is_gated_act = dash != std::string::npos && proj.compare(0, dash, "gated") == 0;
  if ((dash != std::string::npos && !t.is_gated_act) || proj.find('-', dash == std::string::npos ? 0 : dash + 1) != std::string::npos ||
      proj.empty() || proj.back() == '-')
    throw Error(where + ": field 'feed_forward_proj' is '" + proj + "'; expected '{ACT_FN}' or 'gated-{ACT_FN}'");
  t.dense_act_fn = t.is_gated_act ? proj.substr(dash + 1) : proj;
  if (proj == "gated-gelu") t.dense_act_fn = "gelu_new";  // as transformers, for backward compatibility

  for (auto [name, value] : {std::pair{"vocab_size", t.vocab_size}, {"d_model", t.d_model}, {"d_kv", t.d_kv},
                             {"d_ff", t.d_ff}, {"num_layers", t.num_layers}, {"num_decoder_layers", t.num_decoder_layers},
                             {"num_heads", t.num_heads}, {"relative_attention_num_buckets", t.relative_attention_num_buckets},
                             {"relative_attention_max_distance", t.relative_attention_max_distance}})
    if (value <= 0) throw Error(where + ": field '" + name + "' must be positive");
  return t;
}

}  // namespace lmpipe
