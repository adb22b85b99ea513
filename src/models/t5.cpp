// Port of transformers/models/t5/modeling_t5.py (v5): T5ForConditionalGeneration, inference only
// (dropout is identity; fp32, so no fp16 clamping).
#include "models/t5.h"

#include <cmath>
#include <cstring>

#include "io/checkpoint.h"
#include "util/error.h"

namespace lmpipe {

int64_t t5_relative_position_bucket(int64_t relative_position, bool bidirectional, int64_t num_buckets,
                                    int64_t max_distance) {
  int64_t bucket = 0;
  if (bidirectional) {
    num_buckets /= 2;
    if (relative_position > 0) bucket += num_buckets;
    relative_position = std::abs(relative_position);
  } else {
    relative_position = -std::min<int64_t>(relative_position, 0);
  }
  // Half the buckets for exact distances, the other half logarithmically up to max_distance.
  const int64_t max_exact = num_buckets / 2;
  if (relative_position < max_exact) return bucket + relative_position;
  // fp32 as torch computes it: log(rp / max_exact) / log(max_distance / max_exact) * (n - max_exact).
  const float scaled = std::log(static_cast<float>(relative_position) / static_cast<float>(max_exact)) /
                       static_cast<float>(std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact))) *
                       static_cast<float>(num_buckets - max_exact);
  return bucket + std::min(max_exact + static_cast<int64_t>(scaled), num_buckets - 1);
}

namespace {

Tensor load_norm(const nn::Weights& module, int64_t d) { return module.copy("weight", {d}); }

void rms_norm(const Tensor& weight, const float* x, float* y, int64_t rows, float eps) {
  kernels::rms_norm(x, weight.data(), y, rows, weight.numel(), eps);
}

}  // namespace

T5ForConditionalGeneration::T5ForConditionalGeneration(const ModelConfig& model_config, const T5Config& c,
                                                       const nn::Weights& root)
    : model_config_(model_config), config_(c) {
  const int64_t d = c.d_model, inner = c.num_heads * c.d_kv, ff = c.d_ff, buckets = c.relative_attention_num_buckets;
  activation_ = nn::activation_by_name(c.dense_act_fn, model_config.file().string() + ": field 'feed_forward_proj'");
  nn::Weights embed = root["shared"];
  if (!embed.has("weight"))
    for (const char* alias : {"encoder.embed_tokens", "decoder.embed_tokens"})
      if (root[alias].has("weight")) {
        embed = root[alias];
        break;
      }
  shared_ = nn::Embedding::load_word_embeddings(embed, c.vocab_size, d);

  auto load_ff = [&](const nn::Weights& layer, T5Block& b) {
    b.ff_norm = load_norm(layer["layer_norm"], d);
    const nn::Weights dense = layer["DenseReluDense"];
    b.wi = c.is_gated_act ? nn::load_fused_linear({dense["wi_0"], dense["wi_1"]}, ff, d, /*bias=*/false)
                          : nn::load_linear(dense["wi"], ff, d, /*bias=*/false);
    b.wo = nn::load_linear(dense["wo"], d, ff, /*bias=*/false);
  };
  auto load_self = [&](const nn::Weights& layer, T5Block& b) {
    b.self_norm = load_norm(layer["layer_norm"], d);
    const nn::Weights attn = layer["SelfAttention"];
    b.self_qkv = nn::load_fused_linear({attn["q"], attn["k"], attn["v"]}, inner, d, /*bias=*/false);
    b.self_o = nn::load_linear(attn["o"], d, inner, /*bias=*/false);
  };
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const nn::Weights block = root["encoder"]["block." + std::to_string(i)];
    T5Block b;
    load_self(block["layer.0"], b);
    load_ff(block["layer.1"], b);
    encoder_.push_back(std::move(b));
  }
  for (int64_t i = 0; i < c.num_decoder_layers; ++i) {
    const nn::Weights block = root["decoder"]["block." + std::to_string(i)];
    T5Block b;
    load_self(block["layer.0"], b);
    const nn::Weights cross = block["layer.1"];
    b.cross_norm = load_norm(cross["layer_norm"], d);
    b.cross_q = nn::load_linear(cross["EncDecAttention.q"], inner, d, /*bias=*/false);
    b.cross_kv = nn::load_fused_linear({cross["EncDecAttention.k"], cross["EncDecAttention.v"]}, inner, d, /*bias=*/false);
    b.cross_o = nn::load_linear(cross["EncDecAttention.o"], d, inner, /*bias=*/false);
    load_ff(block["layer.2"], b);
    decoder_.push_back(std::move(b));
  }
  // Only block 0 of each stack has the table (has_relative_attention_bias); every layer reuses it.
  encoder_relative_bias_ = root.copy("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                                     {buckets, c.num_heads});
  decoder_relative_bias_ = root.copy("decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                                     {buckets, c.num_heads});
  encoder_final_norm_ = load_norm(root["encoder.final_layer_norm"], d);
  decoder_final_norm_ = load_norm(root["decoder.final_layer_norm"], d);
  // The checkpoint's own head when it has one (Flan-T5 on the Hub), else the shared embeddings.
  lm_head_ = nn::load_linear(root.has("lm_head.weight") ? root["lm_head"] : embed, c.vocab_size, d, /*bias=*/false);
}

std::unique_ptr<T5ForConditionalGeneration> T5ForConditionalGeneration::load(const std::filesystem::path& dir,
                                                                            const ModelConfig& config) {
  const T5Config t5 = T5Config::from_config(config);
  const Checkpoint checkpoint = Checkpoint::open(dir);
  return std::unique_ptr<T5ForConditionalGeneration>(
      new T5ForConditionalGeneration(config, t5, nn::Weights(checkpoint, "", config.load_options())));
}

void T5ForConditionalGeneration::position_bias(const Tensor& table, bool bidirectional, int64_t first_query, int64_t Tq,
                                               int64_t Tk, AlignedFloats& out) const {
  const int64_t H = config_.num_heads;
  float* bias = nn::scratch(out, H * Tq * Tk);
  for (int64_t i = 0; i < Tq; ++i)
    for (int64_t j = 0; j < Tk; ++j) {
      const int64_t bucket = t5_relative_position_bucket(j - (first_query + i), bidirectional,
                                                         config_.relative_attention_num_buckets,
                                                         config_.relative_attention_max_distance);
      for (int64_t h = 0; h < H; ++h) bias[(h * Tq + i) * Tk + j] = table.data()[bucket * H + h];
    }
}

void T5ForConditionalGeneration::feed_forward(const T5Block& b, float* h, int64_t rows, T5Scratch& s) const {
  const int64_t d = config_.d_model, ff = config_.d_ff;
  const float eps = static_cast<float>(config_.layer_norm_epsilon);
  float* x = nn::scratch(s.normed, rows * d);
  rms_norm(b.ff_norm, h, x, rows, eps);
  float* inner = nn::scratch(s.ff, rows * b.wi.out_features());
  b.wi.forward(x, rows, inner);
  float* act = inner;
  if (config_.is_gated_act) {
    // (rows, 2·ff) = [wi_0 | wi_1] -> act(wi_0) * wi_1 into the first half of each row.
    for (int64_t r = 0; r < rows; ++r) {
      float* gate = inner + r * 2 * ff;
      nn::apply_activation(activation_, gate, ff);
      kernels::mul_inplace(gate, gate + ff, ff);
      std::memmove(inner + r * ff, gate, sizeof(float) * ff);
    }
  } else {
    nn::apply_activation(activation_, act, rows * ff);
  }
  float* tmp = nn::scratch(s.tmp, rows * d);
  b.wo.forward(act, rows, tmp);
  kernels::add_inplace(h, tmp, rows * d);
}

// T5Stack.forward (encoder)
Tensor T5ForConditionalGeneration::encode(const Batch& batch, T5Scratch& s) const {
  nn::check_batch(batch, "t5");
  const int64_t B = batch.batch, T = batch.seq_len, d = config_.d_model, rows = B * T;
  const int64_t H = config_.num_heads, inner = H * config_.d_kv;
  const float eps = static_cast<float>(config_.layer_norm_epsilon);
  Tensor hidden = Tensor::empty({B, T, d});
  float* h = hidden.data();
  shared_.lookup(batch.input_ids.data(), rows, h, 1.0f, "t5: input_ids");
  nn::padding_key_bias(batch.attention_mask, rows, s.key_bias);
  position_bias(encoder_relative_bias_, /*bidirectional=*/true, 0, T, T, s.position_bias);
  for (const T5Block& b : encoder_) {
    float* x = nn::scratch(s.normed, rows * d);
    float* qkv = nn::scratch(s.qkv, rows * 3 * inner);
    float* ctx = nn::scratch(s.ctx, rows * inner);
    rms_norm(b.self_norm, h, x, rows, eps);
    b.self_qkv.forward(x, rows, qkv);
    nn::BatchedAttention a;
    a.q = qkv, a.q_stride = 3 * inner, a.q_batch = T * 3 * inner;
    a.k = qkv + inner, a.k_stride = 3 * inner, a.v = qkv + 2 * inner, a.v_stride = 3 * inner, a.kv_batch = T * 3 * inner;
    a.out = ctx, a.out_stride = inner, a.out_batch = T * inner;
    a.batch = B, a.Tq = T, a.Tk = T, a.H = H, a.D = config_.d_kv;
    a.key_bias = s.key_bias.data();
    a.score_bias = s.position_bias.data();
    a.scale = 1.0f;  // T5 does not scale the scores (the initialization absorbs it)
    nn::batched_attention(a);
    float* tmp = nn::scratch(s.tmp, rows * d);
    b.self_o.forward(ctx, rows, tmp);
    kernels::add_inplace(h, tmp, rows * d);
    feed_forward(b, h, rows, s);
  }
  rms_norm(encoder_final_norm_, h, h, rows, eps);
  return hidden;
}

void T5ForConditionalGeneration::start_decoder(const Tensor& encoder_hidden, const std::vector<int32_t>& attention_mask,
                                               int64_t rows_per_input, int64_t capacity, T5DecoderCache& cache) const {
  const int64_t d = config_.d_model, inner = config_.num_heads * config_.d_kv;
  if (encoder_hidden.dim() != 3 || encoder_hidden.size(2) != d)
    throw Error("t5: encoder hidden state must be (batch, seq_len, " + std::to_string(d) + "), got " +
                shape_to_string(encoder_hidden.shape()));
  cache.inputs = encoder_hidden.size(0);
  cache.rows_per_input = rows_per_input;
  cache.encoder_len = encoder_hidden.size(1);
  const int64_t rows = cache.inputs * cache.encoder_len;
  if (!attention_mask.empty() && static_cast<int64_t>(attention_mask.size()) != rows)
    throw Error("t5: encoder attention_mask has " + std::to_string(attention_mask.size()) + " entries, expected " +
                std::to_string(rows));
  nn::padding_key_bias(attention_mask, rows, cache.encoder_key_bias);
  cache.cross_kv.resize(decoder_.size());
  for (size_t i = 0; i < decoder_.size(); ++i)
    decoder_[i].cross_kv.forward(encoder_hidden.data(), rows, nn::scratch(cache.cross_kv[i], rows * 2 * inner));
  cache.self.reset(static_cast<int64_t>(decoder_.size()), cache.rows(), capacity, inner);
}

// T5Stack.forward (decoder) with past key/values
Tensor T5ForConditionalGeneration::decode(const int32_t* ids, int64_t T, T5DecoderCache& cache, T5Scratch& s) const {
  const int64_t B = cache.rows(), d = config_.d_model, rows = B * T, H = config_.num_heads, inner = H * config_.d_kv;
  const int64_t past = cache.self.length(), Tk = past + T, Tenc = cache.encoder_len;
  const float eps = static_cast<float>(config_.layer_norm_epsilon);
  if (T <= 0) throw Error("t5: decoder called with no tokens");
  if (cache.cross_kv.size() != decoder_.size()) throw Error("t5: decoder cache was not made by start_decoder");
  Tensor hidden = Tensor::empty({B, T, d});
  float* h = hidden.data();
  shared_.lookup(ids, rows, h, 1.0f, "t5: decoder_input_ids");
  position_bias(decoder_relative_bias_, /*bidirectional=*/false, past, T, Tk, s.position_bias);
  for (size_t i = 0; i < decoder_.size(); ++i) {
    const T5Block& b = decoder_[i];
    const int64_t l = static_cast<int64_t>(i);
    float* x = nn::scratch(s.normed, rows * d);
    float* ctx = nn::scratch(s.ctx, rows * inner);
    float* tmp = nn::scratch(s.tmp, rows * d);
    // Self-attention: causal, relative position bias, the new keys/values join the cache.
    float* qkv = nn::scratch(s.qkv, rows * 3 * inner);
    rms_norm(b.self_norm, h, x, rows, eps);
    b.self_qkv.forward(x, rows, qkv);
    cache.self.write(l, B, qkv + inner, qkv + 2 * inner, T, 3 * inner);
    nn::BatchedAttention self;
    self.q = qkv, self.q_stride = 3 * inner, self.q_batch = T * 3 * inner;
    self.k = cache.self.keys(l), self.k_stride = inner, self.v = cache.self.values(l), self.v_stride = inner;
    self.kv_batch = cache.self.row_stride();
    self.out = ctx, self.out_stride = inner, self.out_batch = T * inner;
    self.batch = B, self.Tq = T, self.Tk = Tk, self.H = H, self.D = config_.d_kv;
    self.score_bias = s.position_bias.data();
    self.scale = 1.0f;
    self.causal = true;
    nn::batched_attention(self);
    b.self_o.forward(ctx, rows, tmp);
    kernels::add_inplace(h, tmp, rows * d);
    // Cross-attention on the encoder output (no position bias), its padding masked.
    float* q = nn::scratch(s.q, rows * inner);
    rms_norm(b.cross_norm, h, x, rows, eps);
    b.cross_q.forward(x, rows, q);
    nn::BatchedAttention cross;
    cross.q = q, cross.q_stride = inner, cross.q_batch = T * inner;
    cross.k = cache.cross_kv[i].data(), cross.k_stride = 2 * inner;
    cross.v = cache.cross_kv[i].data() + inner, cross.v_stride = 2 * inner, cross.kv_batch = Tenc * 2 * inner;
    cross.rows_per_kv = cache.rows_per_input;
    cross.out = ctx, cross.out_stride = inner, cross.out_batch = T * inner;
    cross.batch = B, cross.Tq = T, cross.Tk = Tenc, cross.H = H, cross.D = config_.d_kv;
    cross.key_bias = cache.encoder_key_bias.data();
    cross.scale = 1.0f;
    nn::batched_attention(cross);
    b.cross_o.forward(ctx, rows, tmp);
    kernels::add_inplace(h, tmp, rows * d);
    feed_forward(b, h, rows, s);
  }
  cache.self.advance(T);
  rms_norm(decoder_final_norm_, h, h, rows, eps);
  return hidden;
}

void T5ForConditionalGeneration::lm_head(const float* hidden, int64_t rows, float* logits) const {
  const int64_t d = config_.d_model;
  if (!config_.scale_decoder_outputs) return lm_head_.forward(hidden, rows, logits);
  std::vector<float> scaled(hidden, hidden + rows * d);
  const float scale = static_cast<float>(std::pow(static_cast<double>(d), -0.5));
  for (float& x : scaled) x *= scale;
  lm_head_.forward(scaled.data(), rows, logits);
}

namespace {

class T5Session : public DecoderSession {
 public:
  T5Session(const T5ForConditionalGeneration& lm, const Batch& inputs, int64_t rows_per_input, int64_t max_length,
            SessionPool<T5SessionBuffers>::Lease buffers)
      : lm_(lm), buffers_(std::move(buffers)), scratch_(buffers_->scratch), cache_(buffers_->cache) {
    const Tensor encoder_hidden = lm.encode(inputs, scratch_);
    lm.start_decoder(encoder_hidden, inputs.attention_mask, rows_per_input, max_length, cache_);
  }

  void forward(const int32_t* ids, int64_t T, float* logits) override {
    const int64_t rows = cache_.rows(), d = lm_.t5_config().d_model;
    const Tensor hidden = lm_.decode(ids, T, cache_, scratch_);
    float* last = nn::scratch(scratch_.last, rows * d);
    for (int64_t r = 0; r < rows; ++r) std::memcpy(last + r * d, hidden.data() + (r * T + T - 1) * d, sizeof(float) * d);
    lm_.lm_head(last, rows, logits);
  }

  void reorder(const std::vector<int32_t>& parent) override { cache_.self.reorder(parent); }

 private:
  const T5ForConditionalGeneration& lm_;
  SessionPool<T5SessionBuffers>::Lease buffers_;
  T5Scratch& scratch_;
  T5DecoderCache& cache_;
};

}  // namespace

std::unique_ptr<DecoderSession> T5ForConditionalGeneration::start(const Batch& inputs, int64_t rows_per_input,
                                                                  int64_t max_length) const {
  return std::make_unique<T5Session>(*this, inputs, rows_per_input, max_length, session_buffers_.take());
}

std::unique_ptr<GenerativeModel> load_t5_lm(const std::filesystem::path& dir, const ModelConfig& config) {
  return T5ForConditionalGeneration::load(dir, config);
}

}  // namespace lmpipe
