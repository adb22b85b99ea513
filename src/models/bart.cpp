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

// Residual feed-forward block of both layer kinds: h = LN(h + fc2(act(fc1(h)))), the activation
// and the residual add fused into the GEMMs.
void feed_forward(const kernels::PackedLinear& fc1, const kernels::PackedLinear& fc2, const nn::LayerNorm& norm,
                  nn::Activation act, float* h, int64_t rows, BartScratch& s) {
  const int64_t d = fc2.out_features(), ffn_dim = fc1.out_features();
  float* ffn = nn::scratch(s.ffn, rows * ffn_dim);
  float* tmp = nn::scratch(s.tmp, rows * d);
  fc1.forward(h, rows, ffn, {.activation = nn::kernel_activation(act)});
  fc2.forward(ffn, rows, tmp, {.residual = h});
  norm(tmp, h, rows);
}

// h = LN(h + out_proj(ctx))
void attention_residual(const kernels::PackedLinear& out_proj, const nn::LayerNorm& norm, const float* ctx, float* h,
                        int64_t rows, BartScratch& s) {
  const int64_t d = out_proj.out_features();
  float* tmp = nn::scratch(s.tmp, rows * d);
  out_proj.forward(ctx, rows, tmp, {.residual = h});
  norm(tmp, h, rows);
}

}  // namespace

nn::Weights BartModel::shared_module(const nn::Weights& model) {
  // encoder.embed_tokens and decoder.embed_tokens are tied to shared; checkpoints may hold any of them.
  if (model["shared"].has("weight")) return model["shared"];
  for (const char* alias : {"encoder.embed_tokens", "decoder.embed_tokens"})
    if (model[alias].has("weight")) return model[alias];
  return model["shared"];  // loading it names the missing key
}

// BartModel.__init__ (+ BartEncoder / BartDecoder.__init__)
BartModel::BartModel(const BartConfig& config, const nn::Weights& model) : config_(config) {
  const int64_t d = config.d_model, positions = config.max_position_embeddings + kPositionOffset;
  shared_ = nn::Embedding::load_word_embeddings(shared_module(model), config.vocab_size, d);

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

// BartScaledWordEmbedding + BartLearnedPositionalEmbedding + layernorm_embedding of n tokens
// at positions pos[0..n).
void BartModel::embed(const nn::LayerNorm& layernorm_embedding, const nn::Embedding& positions, const int32_t* ids,
                      const int32_t* pos, int64_t n, float* out) const {
  const int64_t d = config_.d_model;
  const float scale = config_.scale_embedding ? std::sqrt(static_cast<float>(d)) : 1.0f;
  shared_.lookup(ids, n, out, scale, "bart: input_ids");
  for (int64_t i = 0; i < n; ++i) {
    if (pos[i] >= config_.max_position_embeddings)
      throw Error("bart: " + std::to_string(pos[i] + 1) + " positions exceed max_position_embeddings " +
                  std::to_string(config_.max_position_embeddings) + " (config.json)");
    kernels::add_inplace(out + i * d, positions.weight.data() + (pos[i] + kPositionOffset) * d, d);
  }
  layernorm_embedding(out, n);
}

namespace {
// Position of each token within its sequence, counted from `past`.
const int32_t* positions_in_sequences(const nn::SequenceLayout& seqs, int64_t past, std::vector<int32_t>& out) {
  out.resize(static_cast<size_t>(seqs.tokens()));
  for (int64_t b = 0; b < seqs.count(); ++b)
    for (int64_t t = 0; t < seqs.length(b); ++t) out[seqs.offsets[b] + t] = static_cast<int32_t>(past + t);
  return out.data();
}
}  // namespace

// BartEncoder.forward on the tokens of `seqs`: the last hidden state into h (tokens, d).
void BartModel::run_encoder(const int32_t* ids, const nn::SequenceLayout& seqs, BartScratch& s, float* h) const {
  const int64_t d = config_.d_model, rows = seqs.tokens(), H = config_.encoder_attention_heads;
  embed(encoder_layernorm_embedding_, encoder_positions_, ids, positions_in_sequences(seqs, 0, s.positions), rows, h);
  for (const BartEncoderLayer& layer : encoder_layers_) {
    // BartAttention (self): fused q/k/v, bidirectional within each sequence, padding masked.
    float* qkv = nn::scratch(s.qkv, rows * 3 * d);
    float* ctx = nn::scratch(s.ctx, rows * d);
    layer.qkv.forward(h, rows, qkv);
    nn::VarlenAttention a;
    a.q = qkv, a.q_stride = 3 * d;
    a.k = qkv + d, a.k_stride = 3 * d, a.v = qkv + 2 * d, a.v_stride = 3 * d;
    a.out = ctx, a.out_stride = d;
    a.q_offsets = a.kv_offsets = seqs.offsets.data();
    a.batch = seqs.count(), a.H = H, a.D = d / H;
    a.key_bias = seqs.key_bias_or_null();
    nn::varlen_attention(a);
    attention_residual(layer.out_proj, layer.self_attn_layer_norm, ctx, h, rows, s);
    feed_forward(layer.fc1, layer.fc2, layer.final_layer_norm, config_.activation, h, rows, s);
  }
}

Tensor BartModel::encode(const Batch& batch, BartScratch& s) const {
  nn::check_batch(batch, "bart");
  Tensor hidden = Tensor::empty({batch.batch, batch.seq_len, config_.d_model});
  run_encoder(batch.input_ids.data(), nn::SequenceLayout::padded(batch), s, hidden.data());
  return hidden;
}

Tensor BartModel::encode(const PackedBatch& batch, BartScratch& s) const {
  nn::check_packed(batch, "bart");
  Tensor hidden = Tensor::empty({batch.tokens(), config_.d_model});
  run_encoder(batch.input_ids.data(), nn::SequenceLayout::packed(batch), s, hidden.data());
  return hidden;
}

// BartDecoder.forward over whole sequences at once (teacher forcing, no cache)
Tensor BartModel::decode_sequences(const int32_t* ids, const nn::SequenceLayout& seqs, const float* encoder_hidden,
                                   const nn::SequenceLayout& encoder_seqs, BartScratch& s,
                                   const std::vector<int64_t>* only_rows) const {
  const int64_t d = config_.d_model, rows = seqs.tokens(), enc_rows = encoder_seqs.tokens(), B = seqs.count();
  const int64_t H = config_.decoder_attention_heads;
  if (B != encoder_seqs.count())
    throw Error("bart: " + std::to_string(B) + " decoder sequences for " + std::to_string(encoder_seqs.count()) +
                " encoder sequences");
  if (only_rows) {
    if (static_cast<int64_t>(only_rows->size()) != B) throw Error("bart: decode_sequences needs one row per sequence");
    for (int64_t b = 0; b < B; ++b)
      if ((*only_rows)[b] < seqs.offsets[b] || (*only_rows)[b] >= seqs.offsets[b + 1])
        throw Error("bart: decode_sequences: row " + std::to_string((*only_rows)[b]) + " is outside sequence " +
                    std::to_string(b));
  }
  Tensor hidden = Tensor::empty({rows, d});
  float* h = hidden.data();
  embed(decoder_layernorm_embedding_, decoder_positions_, ids, positions_in_sequences(seqs, 0, s.positions), rows, h);
  std::vector<int64_t> one_query_each;  // query offsets 0, 1, ..., B once only_rows are kept
  for (size_t i = 0; i < decoder_layers_.size(); ++i) {
    const BartDecoderLayer& layer = decoder_layers_[i];
    float* ctx = nn::scratch(s.ctx, rows * d);
    // BartAttention (self, causal within each sequence).
    float* qkv = nn::scratch(s.qkv, rows * 3 * d);
    layer.self_qkv.forward(h, rows, qkv);
    nn::VarlenAttention self;
    self.q = qkv, self.q_stride = 3 * d;
    self.k = qkv + d, self.k_stride = 3 * d, self.v = qkv + 2 * d, self.v_stride = 3 * d;
    self.out = ctx, self.out_stride = d;
    self.q_offsets = self.kv_offsets = seqs.offsets.data();
    self.batch = B, self.H = H, self.D = d / H;
    self.causal = true;
    nn::varlen_attention(self);

    // Past the self-attention, the last layer's rows are independent: with only_rows, the rest
    // of it runs on those rows alone (a tenth of its work for 10-token sequences).
    int64_t n = rows;
    const int64_t* q_offsets = seqs.offsets.data();
    if (only_rows && i + 1 == decoder_layers_.size()) {
      Tensor kept = Tensor::empty({B, d});
      for (int64_t b = 0; b < B; ++b) {
        std::memcpy(kept.data() + b * d, h + (*only_rows)[b] * d, sizeof(float) * d);
        std::memmove(ctx + b * d, ctx + (*only_rows)[b] * d, sizeof(float) * d);  // rows ascend: b ≤ row
      }
      hidden = std::move(kept);
      h = hidden.data();
      n = B;
      for (int64_t b = 0; b <= B; ++b) one_query_each.push_back(b);
      q_offsets = one_query_each.data();
    }
    attention_residual(layer.self_out, layer.self_attn_layer_norm, ctx, h, n, s);

    // BartAttention (cross): each sequence's queries on its encoder sequence, padding masked.
    float* q = nn::scratch(s.q, n * d);
    layer.cross_q.forward(h, n, q);
    float* kv = nn::scratch(s.cross_kv, enc_rows * 2 * d);
    layer.cross_kv.forward(encoder_hidden, enc_rows, kv);
    nn::VarlenAttention cross;
    cross.q = q, cross.q_stride = d;
    cross.k = kv, cross.k_stride = 2 * d, cross.v = kv + d, cross.v_stride = 2 * d;
    cross.out = ctx, cross.out_stride = d;
    cross.q_offsets = q_offsets, cross.kv_offsets = encoder_seqs.offsets.data();
    cross.batch = B, cross.H = H, cross.D = d / H;
    cross.key_bias = encoder_seqs.key_bias_or_null();
    nn::varlen_attention(cross);
    attention_residual(layer.cross_out, layer.encoder_attn_layer_norm, ctx, h, n, s);

    feed_forward(layer.fc1, layer.fc2, layer.final_layer_norm, config_.activation, h, n, s);
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
  {
    std::vector<int64_t> offsets(static_cast<size_t>(B + 1));
    for (int64_t b = 0; b <= B; ++b) offsets[b] = b * Tnew;
    nn::SequenceLayout seqs;
    seqs.offsets = std::move(offsets);
    embed(decoder_layernorm_embedding_, decoder_positions_, ids, positions_in_sequences(seqs, past, s.positions), rows, h);
  }

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
      new BartForSequenceClassification(bart, nn::Weights(checkpoint, "", config.load_options()), std::move(labels)));
}

// BartForSequenceClassification.forward
BartForSequenceClassification::Output BartForSequenceClassification::forward(const Batch& batch) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const BartConfig& c = model_.config();
  const int64_t B = batch.batch, T = batch.seq_len, d = c.d_model;
  Output out;
  out.encoder_last_hidden_state = model_.encode(batch, scratch_);
  // The decoder attends causally with no padding mask (HF passes no decoder_attention_mask).
  nn::SequenceLayout decoder_seqs = nn::SequenceLayout::padded(batch);
  decoder_seqs.key_bias.clear();
  const std::vector<int64_t> eos = eos_rows(batch.input_ids, decoder_seqs);
  const std::vector<int32_t> decoder_ids = shift_tokens_right(batch.input_ids, B, T, c.pad_token_id, c.decoder_start_token_id);
  out.decoder_last_hidden_state =
      model_.decode_sequences(decoder_ids.data(), decoder_seqs, out.encoder_last_hidden_state.data(),
                              nn::SequenceLayout::padded(batch), scratch_)
          .reshape({B, T, d});
  std::vector<float> sentence(static_cast<size_t>(B * d));
  for (int64_t b = 0; b < B; ++b)
    std::memcpy(sentence.data() + b * d, out.decoder_last_hidden_state.data() + eos[b] * d, sizeof(float) * d);
  out.logits = head(sentence.data(), B);
  return out;
}

Tensor BartForSequenceClassification::classify_packed(const PackedBatch& batch) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const BartConfig& c = model_.config();
  nn::check_packed(batch, "bart");
  const nn::SequenceLayout seqs = nn::SequenceLayout::packed(batch);
  const std::vector<int64_t> eos = eos_rows(batch.input_ids, seqs);
  const Tensor encoder_hidden = model_.encode(batch, scratch_);
  std::vector<int32_t> decoder_ids(batch.input_ids.size());
  for (int64_t b = 0; b < batch.batch(); ++b) {
    const int64_t first = batch.offsets[b];
    const std::vector<int32_t> shifted =
        shift_tokens_right(std::vector<int32_t>(batch.input_ids.begin() + first, batch.input_ids.begin() + first + batch.length(b)),
                           1, batch.length(b), c.pad_token_id, c.decoder_start_token_id);
    std::copy(shifted.begin(), shifted.end(), decoder_ids.begin() + first);
  }
  // Only the last <eos> of each sequence is classified: the decoder's last layer runs on those rows.
  const Tensor sentence = model_.decode_sequences(decoder_ids.data(), seqs, encoder_hidden.data(), seqs, scratch_, &eos);
  return head(sentence.data(), batch.batch());
}

// The row of each sequence's last <eos>; sequences must agree on the number of <eos>.
std::vector<int64_t> BartForSequenceClassification::eos_rows(const std::vector<int32_t>& input_ids,
                                                             const nn::SequenceLayout& seqs) const {
  const int32_t eos_id = model_.config().eos_token_id;
  std::vector<int64_t> rows;
  int64_t eos_count = -1;
  for (int64_t b = 0; b < seqs.count(); ++b) {
    int64_t count = 0, last = -1;
    for (int64_t t = seqs.offsets[b]; t < seqs.offsets[b + 1]; ++t)
      if (input_ids[t] == eos_id) ++count, last = t;
    if (count == 0) throw Error("bart: row " + std::to_string(b) + " of input_ids has no <eos> token");
    if (eos_count >= 0 && count != eos_count) throw Error("bart: all examples must have the same number of <eos> tokens");
    eos_count = count;
    rows.push_back(last);
  }
  return rows;
}

// BartClassificationHead (dense -> tanh -> out_proj) on sentence (B, d_model).
Tensor BartForSequenceClassification::head(const float* sentence, int64_t B) const {
  const int64_t d = model_.config().d_model;
  std::vector<float> dense(static_cast<size_t>(B * d));
  dense_.forward(sentence, B, dense.data(), {.activation = kernels::Activation::tanh});
  Tensor logits = Tensor::empty({B, out_proj_.out_features()});
  out_proj_.forward(dense.data(), B, logits.data());
  return logits;
}

std::unique_ptr<SequenceClassifier> load_bart_classifier(const std::filesystem::path& dir, const ModelConfig& config) {
  return BartForSequenceClassification::load(dir, config);
}

// BartForConditionalGeneration.__init__
BartForConditionalGeneration::BartForConditionalGeneration(const ModelConfig& model_config, const BartConfig& config,
                                                           const nn::Weights& root)
    : model_config_(model_config), model_(config, root["model"]) {
  const int64_t V = config.vocab_size, d = config.d_model;
  const nn::Weights head = !model_config.get_or("tie_word_embeddings", true) && root.has("lm_head.weight")
                               ? root["lm_head"]
                               : BartModel::shared_module(root["model"]);
  // final_logits_bias is the head's bias: a registered buffer of zeros when the checkpoint lacks it.
  std::vector<float> bias(static_cast<size_t>(V), 0.f);
  if (root.has("final_logits_bias")) {
    const Tensor stored = root.view("final_logits_bias", {1, V});
    std::copy_n(stored.data(), V, bias.begin());
  }
  {
    const Tensor W = head.view("weight", {V, d});
    lm_head_ = kernels::PackedLinear(W.data(), bias.data(), V, d, head.linear_precision());
  }
  head.release("weight");
}

std::unique_ptr<BartForConditionalGeneration> BartForConditionalGeneration::load(const std::filesystem::path& dir,
                                                                                const ModelConfig& config) {
  const BartConfig bart = BartConfig::from_config(config);
  const Checkpoint checkpoint = Checkpoint::open(dir);
  return std::unique_ptr<BartForConditionalGeneration>(
      new BartForConditionalGeneration(config, bart, nn::Weights(checkpoint, "", config.load_options())));
}

// lm_head(hidden) + final_logits_bias
void BartForConditionalGeneration::lm_head(const float* hidden, int64_t rows, float* logits) const {
  lm_head_.forward(hidden, rows, logits);
}

namespace {

// One generate() call: the encoder runs once per input; the decoder advances every row.
class BartSession : public DecoderSession {
 public:
  BartSession(const BartForConditionalGeneration& lm, const Batch& inputs, int64_t rows_per_input, int64_t max_length,
              SessionPool<BartSessionBuffers>::Lease buffers)
      : lm_(lm),
        buffers_(std::move(buffers)),
        scratch_(buffers_->scratch),
        cache_(buffers_->cache),
        last_(buffers_->last) {
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
  SessionPool<BartSessionBuffers>::Lease buffers_;
  BartScratch& scratch_;
  BartDecoderCache& cache_;
  AlignedFloats& last_;
};

}  // namespace

std::unique_ptr<DecoderSession> BartForConditionalGeneration::start(const Batch& inputs, int64_t rows_per_input,
                                                                    int64_t max_length) const {
  return std::make_unique<BartSession>(*this, inputs, rows_per_input, max_length, session_buffers_.take());
}

std::unique_ptr<GenerativeModel> load_bart_lm(const std::filesystem::path& dir, const ModelConfig& config) {
  return BartForConditionalGeneration::load(dir, config);
}

}  // namespace lmpipe
