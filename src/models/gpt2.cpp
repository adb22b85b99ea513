// Port of transformers/models/gpt2/modeling_gpt2.py (v5): GPT2Model, GPT2LMHeadModel, inference
// only (dropout is identity), with the position ids generate() derives from the attention mask.
#include "models/gpt2.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "io/checkpoint.h"
#include "util/error.h"

namespace lmpipe {

namespace {

// transformers.pytorch_utils.Conv1D: weight (in, out), y = x·W + b. PackedLinear takes nn.Linear's
// (out, in), so the weight is transposed once here.
kernels::PackedLinear load_conv1d(const nn::Weights& module, int64_t in_features, int64_t out_features) {
  std::unique_ptr<float[]> transposed(new float[static_cast<size_t>(in_features * out_features)]);  // every entry written
  {
    const Tensor W = module.view("weight", {in_features, out_features});
    constexpr int64_t kTile = 64;  // tiles keep both sides of the transpose in cache
    for (int64_t i0 = 0; i0 < in_features; i0 += kTile)
      for (int64_t o0 = 0; o0 < out_features; o0 += kTile)
        for (int64_t i = i0; i < std::min(i0 + kTile, in_features); ++i)
          for (int64_t o = o0; o < std::min(o0 + kTile, out_features); ++o)
            transposed[o * in_features + i] = W.data()[i * out_features + o];
  }
  module.release("weight");
  const Tensor b = module.view("bias", {out_features});
  return kernels::PackedLinear(transposed.get(), b.data(), out_features, in_features, module.linear_precision());
}

// GPT2Attention only implements the default scaling (1/sqrt(head_dim)) through batched_attention.
void check_supported(const GPT2Config& c, const ModelConfig& config) {
  const std::string where = config.file().string();
  if (!c.scale_attn_weights) throw Error(where + ": scale_attn_weights=false is not supported");
  if (c.scale_attn_by_inverse_layer_idx) throw Error(where + ": scale_attn_by_inverse_layer_idx=true is not supported");
}

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

}  // namespace

GPT2LMHeadModel::GPT2LMHeadModel(const ModelConfig& model_config, const GPT2Config& c, const nn::Weights& transformer,
                                 const nn::Weights& root)
    : model_config_(model_config), config_(c) {
  check_supported(c, model_config);
  const int64_t d = c.n_embd, inner = c.n_inner;
  const float eps = static_cast<float>(c.layer_norm_epsilon);
  activation_ = nn::config_activation(model_config, "activation_function", "gelu_new");
  wte_ = nn::Embedding::load_word_embeddings(transformer["wte"], c.vocab_size, d);
  wpe_ = nn::Embedding::load(transformer["wpe"], c.n_positions, d);
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const nn::Weights block = transformer["h." + std::to_string(i)];
    GPT2Block b;
    b.ln_1 = nn::LayerNorm::load(block["ln_1"], d, eps);
    b.c_attn = load_conv1d(block["attn.c_attn"], d, 3 * d);
    b.attn_c_proj = load_conv1d(block["attn.c_proj"], d, d);
    b.ln_2 = nn::LayerNorm::load(block["ln_2"], d, eps);
    b.c_fc = load_conv1d(block["mlp.c_fc"], d, inner);
    b.mlp_c_proj = load_conv1d(block["mlp.c_proj"], inner, d);
    h_.push_back(std::move(b));
  }
  ln_f_ = nn::LayerNorm::load(transformer["ln_f"], d, eps);
  // GPT2LMHeadModel ties lm_head to wte unless config.json unties them.
  if (!c.tie_word_embeddings && !root.has("lm_head.weight"))
    throw Error(model_config.file().string() + ": tie_word_embeddings is false but the checkpoint has no lm_head.weight");
  lm_head_ = nn::load_linear(c.tie_word_embeddings ? transformer["wte"] : root["lm_head"], c.vocab_size, d,
                             /*bias=*/false);
}

std::unique_ptr<GPT2LMHeadModel> GPT2LMHeadModel::load(const std::filesystem::path& dir, const ModelConfig& config) {
  const GPT2Config c = GPT2Config::from_config(config);
  const Checkpoint checkpoint = Checkpoint::open(dir);
  const nn::Weights root(checkpoint, "", config.load_options());
  // The Hub's gpt2 was saved from GPT2Model: its keys lack the base model prefix.
  const nn::Weights transformer(checkpoint, checkpoint.has_prefix("transformer.") ? "transformer" : "",
                                config.load_options());
  return std::unique_ptr<GPT2LMHeadModel>(new GPT2LMHeadModel(config, c, transformer, root));
}

void GPT2LMHeadModel::reset_cache(KVCache& cache, int64_t rows, int64_t capacity) const {
  cache.reset(config_.n_layer, rows, capacity, config_.n_embd);
}

// GPT2Model.forward (+ GPT2Block, GPT2Attention, GPT2MLP) with past key/values.
void GPT2LMHeadModel::decode(const int32_t* ids, const int32_t* positions, int64_t rows, int64_t T,
                             const float* key_bias, KVCache& cache, GPT2Scratch& s, float* h) const {
  const int64_t d = config_.n_embd, n = rows * T, H = config_.n_head, inner = config_.n_inner;
  for (int64_t i = 0; i < n; ++i)
    if (positions[i] < 0 || positions[i] >= config_.n_positions)
      throw Error("gpt2: position " + std::to_string(positions[i]) + " is past the model's n_positions " +
                  std::to_string(config_.n_positions) + " (config.json)");
  wte_.lookup(ids, n, h, 1.0f, "gpt2: input_ids");
  wpe_.add_lookup(positions, n, h, "gpt2: position_ids");
  const int64_t Tk = cache.length() + T;
  for (size_t l = 0; l < h_.size(); ++l) {
    const GPT2Block& block = h_[l];
    float* x = nn::scratch(s.normed, n * d);
    float* qkv = nn::scratch(s.qkv, n * 3 * d);
    float* ctx = nn::scratch(s.ctx, n * d);
    float* tmp = nn::scratch(s.tmp, n * d);
    // Attention: the new keys/values join the cache, queries attend to every cached key.
    std::memcpy(x, h, sizeof(float) * n * d);
    block.ln_1(x, n);
    block.c_attn.forward(x, n, qkv);
    cache.write(static_cast<int64_t>(l), rows, qkv + d, qkv + 2 * d, T, 3 * d);
    nn::BatchedAttention a;
    a.q = qkv, a.q_stride = 3 * d, a.q_batch = T * 3 * d;
    a.k = cache.keys(static_cast<int64_t>(l)), a.k_stride = d;
    a.v = cache.values(static_cast<int64_t>(l)), a.v_stride = d, a.kv_batch = cache.row_stride();
    a.out = ctx, a.out_stride = d, a.out_batch = T * d;
    a.batch = rows, a.Tq = T, a.Tk = Tk, a.H = H, a.D = d / H;
    a.key_bias = key_bias;
    a.causal = true;
    nn::batched_attention(a);
    block.attn_c_proj.forward(ctx, n, tmp);
    kernels::add_inplace(h, tmp, n * d);
    // MLP.
    std::memcpy(x, h, sizeof(float) * n * d);
    block.ln_2(x, n);
    float* mlp = nn::scratch(s.mlp, n * inner);
    block.c_fc.forward(x, n, mlp);
    nn::apply_activation(activation_, mlp, n * inner);
    block.mlp_c_proj.forward(mlp, n, tmp);
    kernels::add_inplace(h, tmp, n * d);
  }
  cache.advance(T);
  ln_f_(h, n);
}

void GPT2LMHeadModel::lm_head(const float* hidden, int64_t rows, float* logits) const {
  lm_head_.forward(hidden, rows, logits);
}

Tensor GPT2LMHeadModel::forward(const Batch& batch) const {
  nn::check_batch(batch, "gpt2");
  const int64_t B = batch.batch, T = batch.seq_len, d = config_.n_embd;
  // Positions as generate() makes them: cumsum(mask) - 1, padding at 0; padding keys masked.
  std::vector<int32_t> positions(static_cast<size_t>(B * T));
  std::vector<float> key_bias(static_cast<size_t>(B * T), 0.f);
  for (int64_t b = 0; b < B; ++b) {
    int32_t seen = 0;
    for (int64_t t = 0; t < T; ++t) {
      const bool attended = batch.attention_mask.empty() || batch.attention_mask[b * T + t] != 0;
      positions[b * T + t] = attended ? seen++ : 0;
      if (!attended) key_bias[b * T + t] = kNegInf;
    }
  }
  KVCache cache;
  reset_cache(cache, B, T);
  GPT2Scratch scratch;
  std::vector<float> hidden(static_cast<size_t>(B * T * d));
  decode(batch.input_ids.data(), positions.data(), B, T, key_bias.data(), cache, scratch, hidden.data());
  Tensor logits = Tensor::empty({B, T, config_.vocab_size});
  lm_head(hidden.data(), B * T, logits.data());
  return logits;
}

namespace {

// One generate() call: the prompt's padding and positions per row, and the cache.
class GPT2Session : public DecoderSession {
 public:
  GPT2Session(const GPT2LMHeadModel& model, const Batch& prompt, int64_t rows_per_input, int64_t max_length,
              SessionPool<GPT2SessionBuffers>::Lease buffers)
      : model_(model),
        prompt_(prompt),
        rows_per_input_(rows_per_input),
        rows_(prompt.batch * rows_per_input),
        buffers_(std::move(buffers)),
        cache_(buffers_->cache),
        scratch_(buffers_->scratch),
        next_position_(static_cast<size_t>(rows_), 0),
        attended_(static_cast<size_t>(rows_ * max_length), 1) {
    nn::check_batch(prompt, "gpt2");
    model.reset_cache(cache_, rows_, max_length);
  }

  void forward(const int32_t* ids, int64_t T, float* logits) override {
    const bool prefill = cache_.length() == 0;
    if (prefill && T != prompt_.seq_len)
      throw Error("gpt2: the first forward must feed the prompt (" + std::to_string(prompt_.seq_len) + " tokens)");
    // The prompt runs once per input; its beams start from copies of that row.
    const int64_t copies = prefill ? rows_per_input_ : 1, rows = rows_ / copies, past = cache_.length();
    const int64_t capacity = cache_.capacity(), d = model_.gpt2_config().n_embd;
    std::vector<int32_t> step_ids(static_cast<size_t>(rows * T)), positions(static_cast<size_t>(rows * T));
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t src = r * copies;  // the session row this computed row stands for
      for (int64_t t = 0; t < T; ++t) {
        step_ids[r * T + t] = ids[src * T + t];
        if (prefill) {
          const bool attended =
              prompt_.attention_mask.empty() || prompt_.attention_mask[(src / rows_per_input_) * T + t] != 0;
          attended_[src * capacity + t] = attended;
          positions[r * T + t] = attended ? static_cast<int32_t>(next_position_[src]++) : 0;
        } else {
          positions[r * T + t] = static_cast<int32_t>(next_position_[src]++);
        }
      }
    }
    // Key bias over past + T keys: -inf for the prompt's padding.
    const int64_t Tk = past + T;
    float* key_bias = nn::scratch(scratch_.key_bias, rows * Tk);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < Tk; ++j) key_bias[r * Tk + j] = attended_[r * copies * capacity + j] ? 0.f : kNegInf;
    float* hidden = nn::scratch(scratch_.hidden, rows * T * d);
    model_.decode(step_ids.data(), positions.data(), rows, T, key_bias, cache_, scratch_, hidden);
    float* last = nn::scratch(scratch_.last, rows * d);
    for (int64_t r = 0; r < rows; ++r) std::memcpy(last + r * d, hidden + (r * T + T - 1) * d, sizeof(float) * d);
    const int64_t V = model_.vocab_size();
    model_.lm_head(last, rows, logits);
    if (copies > 1) {
      cache_.replicate(copies);
      for (int64_t r = rows - 1; r >= 0; --r)
        for (int64_t c = copies - 1; c >= 0; --c) {
          const int64_t dst = r * copies + c;
          if (dst != r) std::memcpy(logits + dst * V, logits + r * V, sizeof(float) * V);
          if (dst != r * copies) {
            next_position_[dst] = next_position_[r * copies];
            std::memcpy(&attended_[dst * capacity], &attended_[r * copies * capacity], capacity);
          }
        }
    }
  }

  void reorder(const std::vector<int32_t>& parent) override {
    cache_.reorder(parent);
    const int64_t capacity = cache_.capacity();
    const std::vector<int64_t> positions = next_position_;
    const std::vector<uint8_t> attended = attended_;
    for (int64_t r = 0; r < rows_; ++r) {
      next_position_[r] = positions[parent[r]];
      std::memcpy(&attended_[r * capacity], &attended[parent[r] * capacity], capacity);
    }
  }

 private:
  const GPT2LMHeadModel& model_;
  const Batch prompt_;
  const int64_t rows_per_input_, rows_;
  SessionPool<GPT2SessionBuffers>::Lease buffers_;
  KVCache& cache_;
  GPT2Scratch& scratch_;
  std::vector<int64_t> next_position_;  // per row: the position of its next token
  std::vector<uint8_t> attended_;       // (rows, capacity): 0 for the prompt's padding
};

}  // namespace

std::unique_ptr<DecoderSession> GPT2LMHeadModel::start(const Batch& inputs, int64_t rows_per_input,
                                                       int64_t max_length) const {
  return std::make_unique<GPT2Session>(*this, inputs, rows_per_input, max_length, session_buffers_.take());
}

std::unique_ptr<GenerativeModel> load_gpt2_lm(const std::filesystem::path& dir, const ModelConfig& config) {
  return GPT2LMHeadModel::load(dir, config);
}

}  // namespace lmpipe
