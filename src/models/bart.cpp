// Port of transformers/models/bart/modeling_bart.py (v5), inference only (dropout is identity).
#include "models/bart.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "io/checkpoint.h"
#include "models/families.h"
#include "util/error.h"

namespace lmpipe {

namespace {

// nn.LayerNorm's default: BART never sets eps.
constexpr float kLayerNormEps = 1e-5f;
// BartLearnedPositionalEmbedding: fairseq reserved the first two rows.
constexpr int64_t kPositionOffset = 2;

}  // namespace

// BartConfig
BartConfig BartConfig::from_config(const ModelConfig& config) {
  const std::string where = config.file().string();
  BartConfig c;
  c.vocab_size = nn::config_dim(config, "vocab_size");
  c.d_model = nn::config_dim(config, "d_model");
  c.max_position_embeddings = nn::config_dim(config, "max_position_embeddings");
  c.encoder_layers = nn::config_dim(config, "encoder_layers");
  c.encoder_attention_heads = nn::config_dim(config, "encoder_attention_heads");
  c.encoder_ffn_dim = nn::config_dim(config, "encoder_ffn_dim");
  c.decoder_layers = nn::config_dim(config, "decoder_layers");
  c.decoder_attention_heads = nn::config_dim(config, "decoder_attention_heads");
  c.decoder_ffn_dim = nn::config_dim(config, "decoder_ffn_dim");
  c.activation = nn::config_activation(config, "activation_function", "gelu");
  c.scale_embedding = config.get_or<bool>("scale_embedding", false);
  c.pad_token_id = config.get_or<int32_t>("pad_token_id", 1);
  c.eos_token_id = config.get_or<int32_t>("eos_token_id", 2);
  c.decoder_start_token_id = config.get_or<int32_t>("decoder_start_token_id", 2);
  for (const char* heads : {"encoder_attention_heads", "decoder_attention_heads"}) {
    const int64_t h = config.get<int64_t>(heads);
    if (c.d_model % h != 0)
      throw Error(where + ": d_model " + std::to_string(c.d_model) + " is not divisible by " + heads + " " +
                  std::to_string(h));
  }
  return c;
}

// shift_tokens_right
std::vector<int32_t> shift_tokens_right(const std::vector<int32_t>& input_ids, int64_t batch, int64_t T,
                                        int32_t pad_token_id, int32_t decoder_start_token_id) {
  std::vector<int32_t> shifted(static_cast<size_t>(batch * T));
  for (int64_t b = 0; b < batch; ++b) {
    shifted[b * T] = decoder_start_token_id;
    for (int64_t t = 1; t < T; ++t) {
      const int32_t id = input_ids[b * T + t - 1];
      shifted[b * T + t] = id == -100 ? pad_token_id : id;  // label padding
    }
  }
  return shifted;
}

namespace {

// BartEncoderLayer.__init__
BartEncoderLayer load_encoder_layer(const BartConfig& c, const nn::Weights& w) {
  const int64_t d = c.d_model;
  BartEncoderLayer l;
  l.qkv = nn::load_fused_linear({w["self_attn.q_proj"], w["self_attn.k_proj"], w["self_attn.v_proj"]}, d, d);
  l.out_proj = nn::load_linear(w["self_attn.out_proj"], d, d);
  l.self_attn_layer_norm = nn::LayerNorm::load(w["self_attn_layer_norm"], d, kLayerNormEps);
  l.fc1 = nn::load_linear(w["fc1"], c.encoder_ffn_dim, d);
  l.fc2 = nn::load_linear(w["fc2"], d, c.encoder_ffn_dim);
  l.final_layer_norm = nn::LayerNorm::load(w["final_layer_norm"], d, kLayerNormEps);
  return l;
}

// BartDecoderLayer.__init__
BartDecoderLayer load_decoder_layer(const BartConfig& c, const nn::Weights& w) {
  const int64_t d = c.d_model;
  BartDecoderLayer l;
  l.self_qkv = nn::load_fused_linear({w["self_attn.q_proj"], w["self_attn.k_proj"], w["self_attn.v_proj"]}, d, d);
  l.self_out = nn::load_linear(w["self_attn.out_proj"], d, d);
  l.self_attn_layer_norm = nn::LayerNorm::load(w["self_attn_layer_norm"], d, kLayerNormEps);
  l.cross_q = nn::load_linear(w["encoder_attn.q_proj"], d, d);
  l.cross_kv = nn::load_fused_linear({w["encoder_attn.k_proj"], w["encoder_attn.v_proj"]}, d, d);
  l.cross_out = nn::load_linear(w["encoder_attn.out_proj"], d, d);
  l.encoder_attn_layer_norm = nn::LayerNorm::load(w["encoder_attn_layer_norm"], d, kLayerNormEps);
  l.fc1 = nn::load_linear(w["fc1"], c.decoder_ffn_dim, d);
  l.fc2 = nn::load_linear(w["fc2"], d, c.decoder_ffn_dim);
  l.final_layer_norm = nn::LayerNorm::load(w["final_layer_norm"], d, kLayerNormEps);
  return l;
}

// Residual feed-forward block of both layer kinds: h = LN(h + fc2(act(fc1(h)))).
void feed_forward(const kernels::PackedLinear& fc1, const kernels::PackedLinear& fc2, const nn::LayerNorm& norm,
                  nn::Activation act, float* h, int64_t rows, BartScratch& s) {
  const int64_t d = fc2.out_features(), ffn_dim = fc1.out_features();
  float* ffn = nn::scratch(s.ffn, rows * ffn_dim);
  float* tmp = nn::scratch(s.tmp, rows * d);
  fc1.forward(h, rows, ffn);
  nn::apply_activation(act, ffn, rows * ffn_dim);
  fc2.forward(ffn, rows, tmp);
  kernels::add_inplace(h, tmp, rows * d);
  norm(h, rows);
}

// h = LN(h + out_proj(ctx))
void attention_residual(const kernels::PackedLinear& out_proj, const nn::LayerNorm& norm, const float* ctx, float* h,
                        int64_t rows, BartScratch& s) {
  const int64_t d = out_proj.out_features();
  float* tmp = nn::scratch(s.tmp, rows * d);
  out_proj.forward(ctx, rows, tmp);
  kernels::add_inplace(h, tmp, rows * d);
  norm(h, rows);
}

}  // namespace

// BartModel.__init__ (+ BartEncoder / BartDecoder.__init__)
BartModel::BartModel(const BartConfig& config, const nn::Weights& model) : config_(config) {
  const int64_t d = config.d_model, positions = config.max_position_embeddings + kPositionOffset;
  // encoder.embed_tokens and decoder.embed_tokens are tied to shared; checkpoints may hold any of them.
  nn::Weights embed = model["shared"];
  if (!embed.has("weight")) {
    for (const char* alias : {"encoder.embed_tokens", "decoder.embed_tokens"})
      if (model[alias].has("weight")) {
        embed = model[alias];
        break;
      }
  }
  shared_ = nn::Embedding::load(embed, config.vocab_size, d);

  const nn::Weights encoder = model["encoder"], decoder = model["decoder"];
  encoder_positions_ = nn::Embedding::load(encoder["embed_positions"], positions, d);
  encoder_layernorm_embedding_ = nn::LayerNorm::load(encoder["layernorm_embedding"], d, kLayerNormEps);
  for (int64_t i = 0; i < config.encoder_layers; ++i)
    encoder_layers_.push_back(load_encoder_layer(config, encoder["layers." + std::to_string(i)]));

  decoder_positions_ = nn::Embedding::load(decoder["embed_positions"], positions, d);
  decoder_layernorm_embedding_ = nn::LayerNorm::load(decoder["layernorm_embedding"], d, kLayerNormEps);
  for (int64_t i = 0; i < config.decoder_layers; ++i)
    decoder_layers_.push_back(load_decoder_layer(config, decoder["layers." + std::to_string(i)]));
}

// BartScaledWordEmbedding + BartLearnedPositionalEmbedding + layernorm_embedding
void BartModel::embed(const nn::LayerNorm& layernorm_embedding, const nn::Embedding& positions, const int32_t* ids,
                      int64_t batch, int64_t T, int64_t past, float* out) const {
  const int64_t d = config_.d_model;
  if (past + T > config_.max_position_embeddings)
    throw Error("bart: " + std::to_string(past + T) + " positions exceed max_position_embeddings " +
                std::to_string(config_.max_position_embeddings) + " (config.json)");
  const float scale = config_.scale_embedding ? std::sqrt(static_cast<float>(d)) : 1.0f;
  shared_.lookup(ids, batch * T, out, scale, "bart: input_ids");
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < T; ++t)
      kernels::add_inplace(out + (b * T + t) * d, positions.weight.data() + (past + t + kPositionOffset) * d, d);
  layernorm_embedding(out, batch * T);
}

// BartEncoder.forward
Tensor BartModel::encode(const Batch& batch, BartScratch& s) const {
  nn::check_batch(batch, "bart");
  const int64_t B = batch.batch, T = batch.seq_len, d = config_.d_model, rows = B * T;
  const int64_t H = config_.encoder_attention_heads;
  Tensor hidden = Tensor::empty({B, T, d});
  float* h = hidden.data();
  embed(encoder_layernorm_embedding_, encoder_positions_, batch.input_ids.data(), B, T, 0, h);
  nn::padding_key_bias(batch.attention_mask, rows, s.key_bias);

  for (const BartEncoderLayer& layer : encoder_layers_) {
    // BartAttention (self): fused q/k/v, bidirectional with the padding mask.
    float* qkv = nn::scratch(s.qkv, rows * 3 * d);
    float* ctx = nn::scratch(s.ctx, rows * d);
    layer.qkv.forward(h, rows, qkv);
    nn::BatchedAttention a;
    a.q = qkv, a.q_stride = 3 * d, a.q_batch = T * 3 * d;
    a.k = qkv + d, a.k_stride = 3 * d, a.v = qkv + 2 * d, a.v_stride = 3 * d, a.kv_batch = T * 3 * d;
    a.out = ctx, a.out_stride = d, a.out_batch = T * d;
    a.batch = B, a.Tq = T, a.Tk = T, a.H = H, a.D = d / H;
    a.key_bias = s.key_bias.data();
    nn::batched_attention(a);
    attention_residual(layer.out_proj, layer.self_attn_layer_norm, ctx, h, rows, s);
    feed_forward(layer.fc1, layer.fc2, layer.final_layer_norm, config_.activation, h, rows, s);
  }
  return hidden;
}

// The cross-attention half of BartDecoder's cache: encoder keys/values, computed once per input.
void BartModel::start_decoder(const Tensor& encoder_hidden, const std::vector<int32_t>& attention_mask,
                              int64_t rows_per_input, int64_t capacity, BartDecoderCache& cache) const {
  const int64_t d = config_.d_model;
  if (encoder_hidden.dim() != 3 || encoder_hidden.size(2) != d)
    throw Error("bart: encoder hidden state must be (batch, seq_len, " + std::to_string(d) + "), got " +
                shape_to_string(encoder_hidden.shape()));
  cache.inputs = encoder_hidden.size(0);
  cache.rows_per_input = rows_per_input;
  cache.encoder_len = encoder_hidden.size(1);
  const int64_t rows = cache.inputs * cache.encoder_len;
  if (!attention_mask.empty() && static_cast<int64_t>(attention_mask.size()) != rows)
    throw Error("bart: encoder attention_mask has " + std::to_string(attention_mask.size()) + " entries, expected " +
                std::to_string(rows));
  nn::padding_key_bias(attention_mask, rows, cache.encoder_key_bias);
  cache.cross_kv.resize(decoder_layers_.size());
  for (size_t i = 0; i < decoder_layers_.size(); ++i)
    decoder_layers_[i].cross_kv.forward(encoder_hidden.data(), rows, nn::scratch(cache.cross_kv[i], rows * 2 * d));
  cache.self.reset(static_cast<int64_t>(decoder_layers_.size()), cache.rows(), capacity, d);
}

// BartDecoder.forward with past key/values
Tensor BartModel::decode(const int32_t* ids, int64_t Tnew, BartDecoderCache& cache, BartScratch& s) const {
  const int64_t B = cache.rows(), d = config_.d_model, rows = B * Tnew, past = cache.self.length(), Tk = past + Tnew;
  const int64_t H = config_.decoder_attention_heads, Tenc = cache.encoder_len;
  if (Tnew <= 0) throw Error("bart: decoder called with no tokens");
  if (cache.cross_kv.size() != decoder_layers_.size()) throw Error("bart: decoder cache was not made by start_decoder");

  Tensor hidden = Tensor::empty({B, Tnew, d});
  float* h = hidden.data();
  embed(decoder_layernorm_embedding_, decoder_positions_, ids, B, Tnew, past, h);

  for (size_t i = 0; i < decoder_layers_.size(); ++i) {
    const BartDecoderLayer& layer = decoder_layers_[i];
    const int64_t l = static_cast<int64_t>(i);
    float* ctx = nn::scratch(s.ctx, rows * d);

    // BartAttention (self, causal): new keys/values join the cache.
    float* qkv = nn::scratch(s.qkv, rows * 3 * d);
    layer.self_qkv.forward(h, rows, qkv);
    cache.self.write(l, B, qkv + d, qkv + 2 * d, Tnew, 3 * d);
    nn::BatchedAttention self;
    self.q = qkv, self.q_stride = 3 * d, self.q_batch = Tnew * 3 * d;
    self.k = cache.self.keys(l), self.k_stride = d, self.v = cache.self.values(l), self.v_stride = d;
    self.kv_batch = cache.self.row_stride();
    self.out = ctx, self.out_stride = d, self.out_batch = Tnew * d;
    self.batch = B, self.Tq = Tnew, self.Tk = Tk, self.H = H, self.D = d / H;
    self.causal = true;
    nn::batched_attention(self);
    attention_residual(layer.self_out, layer.self_attn_layer_norm, ctx, h, rows, s);

    // BartAttention (cross): queries from the decoder, keys/values from the encoder, its padding masked.
    float* q = nn::scratch(s.q, rows * d);
    layer.cross_q.forward(h, rows, q);
    nn::BatchedAttention cross;
    cross.q = q, cross.q_stride = d, cross.q_batch = Tnew * d;
    cross.k = cache.cross_kv[i].data(), cross.k_stride = 2 * d;
    cross.v = cache.cross_kv[i].data() + d, cross.v_stride = 2 * d, cross.kv_batch = Tenc * 2 * d;
    cross.rows_per_kv = cache.rows_per_input;
    cross.out = ctx, cross.out_stride = d, cross.out_batch = Tnew * d;
    cross.batch = B, cross.Tq = Tnew, cross.Tk = Tenc, cross.H = H, cross.D = d / H;
    cross.key_bias = cache.encoder_key_bias.data();
    nn::batched_attention(cross);
    attention_residual(layer.cross_out, layer.encoder_attn_layer_norm, ctx, h, rows, s);

    feed_forward(layer.fc1, layer.fc2, layer.final_layer_norm, config_.activation, h, rows, s);
  }
  cache.self.advance(Tnew);
  return hidden;
}

// BartForSequenceClassification.__init__ (BartClassificationHead: dense -> tanh -> out_proj)
BartForSequenceClassification::BartForSequenceClassification(const BartConfig& config, const nn::Weights& root,
                                                              LabelMaps labels)
    : labels_(std::move(labels)), model_(config, root["model"]) {
  const int64_t d = config.d_model, num_labels = static_cast<int64_t>(labels_.id2label.size());
  dense_ = nn::load_linear(root["classification_head.dense"], d, d);
  out_proj_ = nn::load_linear(root["classification_head.out_proj"], num_labels, d);
}

std::unique_ptr<BartForSequenceClassification> BartForSequenceClassification::load(const std::filesystem::path& dir,
                                                                                  const ModelConfig& config) {
  const BartConfig bart = BartConfig::from_config(config);
  LabelMaps labels = nn::parse_label_maps(config);
  // The checkpoint (and its mapping) is released on return: every weight is packed or copied.
  const Checkpoint checkpoint = Checkpoint::open(dir);
  return std::unique_ptr<BartForSequenceClassification>(
      new BartForSequenceClassification(bart, nn::Weights(checkpoint, ""), std::move(labels)));
}

// BartForSequenceClassification.forward
BartForSequenceClassification::Output BartForSequenceClassification::forward(const Batch& batch) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const BartConfig& c = model_.config();
  const int64_t B = batch.batch, T = batch.seq_len, d = c.d_model;
  Output out;
  out.encoder_last_hidden_state = model_.encode(batch, scratch_);
  model_.start_decoder(out.encoder_last_hidden_state, batch.attention_mask, 1, T, cache_);
  const std::vector<int32_t> decoder_ids = shift_tokens_right(batch.input_ids, B, T, c.pad_token_id, c.decoder_start_token_id);
  out.decoder_last_hidden_state = model_.decode(decoder_ids.data(), T, cache_, scratch_);

  // The decoder state at the last <eos> of each row; rows must agree on the number of <eos>.
  std::vector<float> sentence(static_cast<size_t>(B * d));
  int64_t eos_count = -1;
  for (int64_t b = 0; b < B; ++b) {
    int64_t count = 0, last = -1;
    for (int64_t t = 0; t < T; ++t)
      if (batch.input_ids[b * T + t] == c.eos_token_id) ++count, last = t;
    if (count == 0) throw Error("bart: row " + std::to_string(b) + " of input_ids has no <eos> token");
    if (eos_count >= 0 && count != eos_count) throw Error("bart: all examples must have the same number of <eos> tokens");
    eos_count = count;
    std::memcpy(sentence.data() + b * d, out.decoder_last_hidden_state.data() + (b * T + last) * d, sizeof(float) * d);
  }
  std::vector<float> dense(static_cast<size_t>(B * d));
  dense_.forward(sentence.data(), B, dense.data());
  kernels::tanh_inplace(dense.data(), B * d);
  out.logits = Tensor::empty({B, out_proj_.out_features()});
  out_proj_.forward(dense.data(), B, out.logits.data());
  return out;
}

std::unique_ptr<SequenceClassifier> load_bart_classifier(const std::filesystem::path& dir, const ModelConfig& config) {
  return BartForSequenceClassification::load(dir, config);
}

// BartForConditionalGeneration.__init__
BartForConditionalGeneration::BartForConditionalGeneration(const ModelConfig& model_config, const BartConfig& config,
                                                           const nn::Weights& root)
    : model_config_(model_config), model_(config, root["model"]) {
  const int64_t V = config.vocab_size, d = config.d_model;
  if (!model_config.get_or("tie_word_embeddings", true) && root.has("lm_head.weight"))
    lm_head_ = root.copy("lm_head.weight", {V, d});
  else
    lm_head_ = model_.shared().weight;
  // A registered buffer of zeros when the checkpoint does not carry it.
  final_logits_bias_.assign(static_cast<size_t>(V), 0.f);
  if (root.has("final_logits_bias")) {
    const Tensor bias = root.view("final_logits_bias", {1, V});
    std::copy_n(bias.data(), V, final_logits_bias_.begin());
  }
}

std::unique_ptr<BartForConditionalGeneration> BartForConditionalGeneration::load(const std::filesystem::path& dir,
                                                                                const ModelConfig& config) {
  const BartConfig bart = BartConfig::from_config(config);
  const Checkpoint checkpoint = Checkpoint::open(dir);
  return std::unique_ptr<BartForConditionalGeneration>(
      new BartForConditionalGeneration(config, bart, nn::Weights(checkpoint, "")));
}

// lm_head(hidden) + final_logits_bias
void BartForConditionalGeneration::lm_head(const float* hidden, int64_t rows, float* logits) const {
  const int64_t V = vocab_size();
  kernels::linear(hidden, lm_head_.data(), nullptr, logits, rows, model_.config().d_model, V);
  kernels::add_bias_rows(logits, final_logits_bias_.data(), rows, V);
}

namespace {

// One generate() call: the encoder runs once per input; the decoder advances every row.
class BartSession : public DecoderSession {
 public:
  BartSession(const BartForConditionalGeneration& lm, const Batch& inputs, int64_t rows_per_input, int64_t max_length)
      : lm_(lm) {
    const Tensor encoder_hidden = lm.model().encode(inputs, scratch_);
    lm.model().start_decoder(encoder_hidden, inputs.attention_mask, rows_per_input, max_length, cache_);
  }

  void forward(const int32_t* ids, int64_t T, float* logits) override {
    const int64_t rows = cache_.rows(), d = lm_.model().config().d_model;
    const Tensor hidden = lm_.model().decode(ids, T, cache_, scratch_);
    float* last = nn::scratch(last_, rows * d);
    for (int64_t r = 0; r < rows; ++r) std::memcpy(last + r * d, hidden.data() + (r * T + T - 1) * d, sizeof(float) * d);
    lm_.lm_head(last, rows, logits);
  }

  void reorder(const std::vector<int32_t>& parent) override { cache_.self.reorder(parent); }

 private:
  const BartForConditionalGeneration& lm_;
  BartScratch scratch_;
  BartDecoderCache cache_;
  std::vector<float> last_;
};

}  // namespace

std::unique_ptr<DecoderSession> BartForConditionalGeneration::start(const Batch& inputs, int64_t rows_per_input,
                                                                    int64_t max_length) const {
  return std::make_unique<BartSession>(*this, inputs, rows_per_input, max_length);
}

std::unique_ptr<GenerativeModel> load_bart_lm(const std::filesystem::path& dir, const ModelConfig& config) {
  return BartForConditionalGeneration::load(dir, config);
}

}  // namespace lmpipe
