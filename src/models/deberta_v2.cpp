// DeBERTa-v2 / DeBERTa-v3: the base model (DebertaV2Model), the sequence classifier (e.g. the
// DeBERTa-v3 zero-shot NLI models) and the masked-LM heads (DebertaV2ForMaskedLM).
// Port of transformers v5 models/deberta_v2/configuration_deberta_v2.py and modeling_deberta_v2.py,
// inference only (every dropout is the identity). Weight names are the checkpoint keys.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "kernels/kernels.h"
#include "models/families.h"
#include "models/layers.h"
#include "util/error.h"

namespace lmpipe {

namespace {

using kernels::PackedLinear;
using nn::Activation;

// ---------------------------------------------------------------------------------------------
// Configuration

// "p2c|c2p" strings and lists alike, lower-cased (DebertaV2Config.__init__, DebertaV2Encoder.norm_rel_ebd).
std::vector<std::string> string_list_field(const json& config, const std::string& key, const std::string& fallback,
                                           const std::string& where) {
  std::vector<std::string> parts;
  auto it = config.find(key);
  auto add = [&](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    parts.push_back(b == std::string::npos ? "" : s.substr(b, e - b + 1));
  };
  auto split = [&](const std::string& s) {
    size_t start = 0;
    for (size_t bar; (bar = s.find('|', start)) != std::string::npos; start = bar + 1) add(s.substr(start, bar - start));
    add(s.substr(start));
  };
  if (it == config.end() || it->is_null()) {
    if (!fallback.empty()) split(fallback);
  } else if (it->is_string()) {
    split(it->get<std::string>());
  } else if (it->is_array()) {
    for (const auto& item : *it) {
      if (!item.is_string()) throw Error(where + ": field '" + key + "' must hold strings");
      add(item.get<std::string>());
    }
  } else {
    throw Error(where + ": field '" + key + "' must be a string or a list of strings");
  }
  return parts;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// DebertaV2Config: the fields the forward pass reads. The sizes are required (HF's defaults are
// deberta-v2-xlarge's, which no other checkpoint matches); the rest default as in HF.
struct DebertaV2Config {
  int64_t vocab_size = 0, hidden_size = 0, num_hidden_layers = 0, num_attention_heads = 0, intermediate_size = 0,
          max_position_embeddings = 0;
  int64_t attention_head_size = 0;  // hidden_size / num_attention_heads unless given
  int64_t embedding_size = 0;       // hidden_size unless given
  int64_t type_vocab_size = 0;
  float layer_norm_eps = 1e-7f;
  Activation hidden_act = Activation::Gelu;
  bool position_biased_input = true;
  bool relative_attention = false;
  int64_t max_relative_positions = -1;  // < 1 means max_position_embeddings
  int64_t position_buckets = -1;
  std::vector<std::string> pos_att_type;
  bool share_att_key = false;
  std::vector<std::string> norm_rel_ebd;
  int64_t conv_kernel_size = 0, conv_groups = 1;
  Activation conv_act = Activation::Tanh;
  int64_t pooler_hidden_size = 0;
  Activation pooler_hidden_act = Activation::Gelu;
  LabelMaps labels;
  std::string file;                 // config.json, for errors
  bool legacy = true;               // DebertaV2ForMaskedLM: cls.predictions (true) or lm_predictions.lm_head
  bool tie_word_embeddings = true;  // the legacy MLM decoder is the word embedding matrix
};

DebertaV2Config read_config(const ModelConfig& config) {
  const std::string where = config.file().string();
  DebertaV2Config c;
  auto size = [&](const std::string& key) { return nn::config_dim(config, key); };
  c.vocab_size = size("vocab_size");
  c.hidden_size = size("hidden_size");
  c.num_hidden_layers = size("num_hidden_layers");
  c.num_attention_heads = size("num_attention_heads");
  c.intermediate_size = size("intermediate_size");
  c.max_position_embeddings = size("max_position_embeddings");
  if (c.hidden_size % c.num_attention_heads != 0)
    throw Error(where + ": field 'hidden_size' (" + std::to_string(c.hidden_size) +
                ") is not a multiple of 'num_attention_heads' (" + std::to_string(c.num_attention_heads) + ")");
  c.attention_head_size = config.get_or<int64_t>("attention_head_size", c.hidden_size / c.num_attention_heads);
  c.embedding_size = config.get_or<int64_t>("embedding_size", c.hidden_size);
  c.type_vocab_size = config.get_or<int64_t>("type_vocab_size", 0);
  if (c.attention_head_size <= 0) throw Error(where + ": field 'attention_head_size' must be positive");
  if (c.embedding_size <= 0) throw Error(where + ": field 'embedding_size' must be positive");
  if (c.type_vocab_size < 0) throw Error(where + ": field 'type_vocab_size' must not be negative");
  c.layer_norm_eps = config.get_or<float>("layer_norm_eps", 1e-7f);
  c.hidden_act = nn::config_activation(config, "hidden_act", "gelu");
  c.position_biased_input = config.get_or<bool>("position_biased_input", true);
  c.relative_attention = config.get_or<bool>("relative_attention", false);
  c.max_relative_positions = config.get_or<int64_t>("max_relative_positions", -1);
  if (c.max_relative_positions < 1) c.max_relative_positions = c.max_position_embeddings;
  c.position_buckets = config.get_or<int64_t>("position_buckets", -1);
  // make_log_bucket_position needs log((max_position - 1) / mid) > 0, mid = position_buckets / 2.
  if (c.relative_attention && c.position_buckets > 0 &&
      (c.position_buckets < 2 || c.max_relative_positions - 1 <= c.position_buckets / 2))
    throw Error(where + ": field 'position_buckets' (" + std::to_string(c.position_buckets) +
                ") must be at least 2 and below 2·(max_relative_positions - 1)");
  c.pos_att_type = string_list_field(config.raw(), "pos_att_type", "", where);
  c.share_att_key = config.get_or<bool>("share_att_key", false);
  c.norm_rel_ebd = string_list_field(config.raw(), "norm_rel_ebd", "none", where);
  c.conv_kernel_size = config.get_or<int64_t>("conv_kernel_size", 0);
  if (c.conv_kernel_size > 0) {
    c.conv_groups = config.get_or<int64_t>("conv_groups", 1);
    if (c.conv_kernel_size % 2 == 0)  // nn.Conv1d's padding (k-1)/2 keeps the length only for odd k
      throw Error(where + ": field 'conv_kernel_size' must be odd");
    if (c.conv_groups <= 0 || c.hidden_size % c.conv_groups != 0)
      throw Error(where + ": field 'conv_groups' must divide 'hidden_size'");
    c.conv_act = nn::config_activation(config, "conv_act", "tanh");
  }
  c.pooler_hidden_size = config.get_or<int64_t>("pooler_hidden_size", c.hidden_size);
  c.pooler_hidden_act =
      nn::config_activation(config, "pooler_hidden_act", "gelu");
  c.labels = nn::parse_label_maps(config);
  c.file = where;
  c.legacy = config.get_or<bool>("legacy", true);
  c.tie_word_embeddings = config.get_or<bool>("tie_word_embeddings", true);
  return c;
}

// Per-sequence padding mask as floats (1 keep, 0 pad), shape (B*T).
std::vector<float> float_mask(const Batch& batch) {
  std::vector<float> mask(static_cast<size_t>(batch.batch * batch.seq_len), 1.f);
  if (!batch.attention_mask.empty())
    for (size_t i = 0; i < mask.size(); ++i) mask[i] = batch.attention_mask[i] != 0 ? 1.f : 0.f;
  return mask;
}

// ---------------------------------------------------------------------------------------------
// Relative positions

// make_log_bucket_position: exact offsets near zero, log-spaced buckets further out. Computed in
// fp32 like torch so the bucket boundaries match.
int64_t make_log_bucket_position(int64_t relative_pos, int64_t bucket_size, int64_t max_position) {
  const int64_t mid = bucket_size / 2;
  const int64_t abs_pos = (relative_pos < mid && relative_pos > -mid) ? mid - 1 : std::abs(relative_pos);
  if (abs_pos <= mid) return relative_pos;
  const float max_ratio = static_cast<float>(static_cast<double>(max_position - 1) / static_cast<double>(mid));
  const float log_pos =
      std::ceil(std::log(static_cast<float>(abs_pos) / static_cast<float>(mid)) / std::log(max_ratio) *
                static_cast<float>(mid - 1)) +
      static_cast<float>(mid);
  return static_cast<int64_t>(log_pos) * (relative_pos > 0 ? 1 : -1);
}

// build_relative_position for query and key lengths T, as gather indices into the (2·att_span)
// relative embeddings: c2p (query i, key j) = clamp(δ(i-j) + span), and p2c, which HF gathers by the
// transposed positions, (i, j) = clamp(-δ(j-i) + span).
struct RelativePositions {
  std::vector<int32_t> c2p, p2c;  // (T, T)
  int32_t lo = 0, hi = -1;         // smallest and largest index used, to skip unused columns
};

RelativePositions build_relative_position(int64_t T, int64_t bucket_size, int64_t max_position, int64_t att_span) {
  RelativePositions r;
  // δ(d) for d = i - j in [-(T-1), T-1]
  std::vector<int64_t> delta(static_cast<size_t>(2 * T - 1));
  for (int64_t d = -(T - 1); d <= T - 1; ++d)
    delta[d + T - 1] = (bucket_size > 0 && max_position > 0) ? make_log_bucket_position(d, bucket_size, max_position) : d;
  auto clamp = [&](int64_t v) { return static_cast<int32_t>(std::clamp<int64_t>(v, 0, 2 * att_span - 1)); };
  r.c2p.resize(static_cast<size_t>(T * T));
  r.p2c.resize(static_cast<size_t>(T * T));
  r.lo = std::numeric_limits<int32_t>::max();
  for (int64_t i = 0; i < T; ++i)
    for (int64_t j = 0; j < T; ++j) {
      const int32_t c = clamp(delta[i - j + T - 1] + att_span), p = clamp(-delta[j - i + T - 1] + att_span);
      r.c2p[i * T + j] = c;
      r.p2c[i * T + j] = p;
      r.lo = std::min({r.lo, c, p});
      r.hi = std::max({r.hi, c, p});
    }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Modules

// DebertaV2Embeddings
struct DebertaV2Embeddings {
  const DebertaV2Config* config = nullptr;
  nn::Embedding word_embeddings, position_embeddings, token_type_embeddings;
  PackedLinear embed_proj;  // only when embedding_size != hidden_size
  nn::LayerNorm layer_norm;

  DebertaV2Embeddings(const nn::Weights& w, const DebertaV2Config& c) : config(&c) {
    word_embeddings = nn::Embedding::load_word_embeddings(w["word_embeddings"], c.vocab_size, c.embedding_size);
    if (c.position_biased_input)
      position_embeddings = nn::Embedding::load(w["position_embeddings"], c.max_position_embeddings, c.embedding_size);
    if (c.type_vocab_size > 0)
      token_type_embeddings = nn::Embedding::load(w["token_type_embeddings"], c.type_vocab_size, c.embedding_size);
    if (c.embedding_size != c.hidden_size)
      embed_proj = nn::load_linear(w["embed_proj"], c.hidden_size, c.embedding_size, /*bias=*/false);
    layer_norm = nn::LayerNorm::load(w["LayerNorm"], c.hidden_size, c.layer_norm_eps);
  }

  // (B*T, hidden_size); padding positions are zeroed (the `mask` multiply).
  Tensor forward(const Batch& batch, const std::vector<float>& mask) const {
    const auto& c = *config;
    const int64_t B = batch.batch, T = batch.seq_len, E = c.embedding_size, rows = B * T;
    if (c.position_biased_input && T > c.max_position_embeddings)
      throw Error("deberta_v2: sequence of " + std::to_string(T) + " tokens exceeds max_position_embeddings (" +
                  std::to_string(c.max_position_embeddings) + ")");
    Tensor emb = Tensor::empty({rows, E});
    word_embeddings.lookup(batch.input_ids.data(), rows, emb.data(), 1.0f, "deberta_v2: input_ids");
    if (c.position_biased_input)  // positions 0..T-1: the table's first T rows, once per sequence
      for (int64_t b = 0; b < B; ++b) kernels::add_inplace(emb.data() + b * T * E, position_embeddings.weight.data(), T * E);
    if (c.type_vocab_size > 0) {
      const std::vector<int32_t> zeros(batch.token_type_ids.empty() ? static_cast<size_t>(rows) : 0, 0);
      const int32_t* types = batch.token_type_ids.empty() ? zeros.data() : batch.token_type_ids.data();
      token_type_embeddings.add_lookup(types, rows, emb.data(), "deberta_v2: token_type_ids");
    }
    if (E != c.hidden_size) {
      Tensor projected = Tensor::empty({rows, c.hidden_size});
      embed_proj.forward(emb.data(), rows, projected.data());
      emb = std::move(projected);
    }
    layer_norm(emb.data(), rows);
    for (int64_t r = 0; r < rows; ++r)
      if (mask[r] == 0.f) std::fill_n(emb.data() + r * c.hidden_size, c.hidden_size, 0.f);
    return emb;
  }
};

// DisentangledSelfAttention
struct DisentangledSelfAttention {
  const DebertaV2Config* config = nullptr;
  int64_t H = 0, D = 0, att_span = 0;
  float scale = 1;  // sqrt(head size · scale_factor)
  bool c2p = false, p2c = false;
  PackedLinear qkv_proj;  // query_proj, key_proj, value_proj stacked: one GEMM
  // pos_key_proj / pos_query_proj (or key_proj / query_proj with share_att_key) applied to the
  // normalized rel_embeddings: constant at inference, so computed once. (2·att_span, H·D)
  Tensor pos_key_layer, pos_query_layer;

  DisentangledSelfAttention(const nn::Weights& w, const DebertaV2Config& c, const Tensor& rel_embeddings)
      : config(&c), H(c.num_attention_heads), D(c.attention_head_size) {
    const int64_t C = c.hidden_size, HD = H * D;
    qkv_proj = nn::load_fused_linear({w["query_proj"], w["key_proj"], w["value_proj"]}, HD, C);

    // scale_factor = 1 + one per c2p/p2c term, whether or not relative_attention is on.
    c2p = contains(c.pos_att_type, "c2p");
    p2c = contains(c.pos_att_type, "p2c");
    scale = std::sqrt(static_cast<float>(D) * static_cast<float>(1 + int(c2p) + int(p2c)));
    if (!c.relative_attention) return;
    att_span = c.position_buckets > 0 ? c.position_buckets : c.max_relative_positions;
    const int64_t P = 2 * att_span;
    auto project = [&](const std::string& own, const std::string& shared) {
      const nn::Weights module = w[c.share_att_key ? shared : own];
      Tensor out = Tensor::empty({P, HD});
      kernels::linear(rel_embeddings.data(), module.view("weight", {HD, C}).data(), module.view("bias", {HD}).data(),
                      out.data(), P, C, HD);
      module.release("weight");
      return out;
    };
    if (c2p) pos_key_layer = project("pos_key_proj", "key_proj");
    if (p2c) pos_query_layer = project("pos_query_proj", "query_proj");
  }

  // Context (B*T, H·D) of hidden states x (B*T, C). mask (B*T) is 1/0 per token.
  Tensor forward(const Tensor& x, int64_t B, int64_t T, const std::vector<float>& mask,
                 const RelativePositions& rel) const {
    const int64_t HD = H * D, rows = B * T;
    Tensor qkv = Tensor::empty({rows, 3 * HD});
    qkv_proj.forward(x.data(), rows, qkv.data());
    Tensor context = Tensor::empty({rows, HD});
    std::vector<float> bias(static_cast<size_t>(H * T * T));
    for (int64_t b = 0; b < B; ++b) {
      const float* q = qkv.data() + b * T * 3 * HD;
      disentangled_attention_bias(q, q + HD, 3 * HD, T, mask.data() + b * T, rel, bias.data());
      kernels::AttentionArgs args;
      args.q = q, args.q_stride = 3 * HD;
      args.k = q + HD, args.k_stride = 3 * HD;
      args.v = q + 2 * HD, args.v_stride = 3 * HD;
      args.out = context.data() + b * T * HD, args.out_stride = HD;
      args.Tq = T, args.Tk = T, args.H = H, args.D = D;
      args.scale = 1.0f / scale;
      args.score_bias = bias.data();
      kernels::attention(args);
      // HF fills a padding query's whole row with finfo.min, so its softmax is uniform: the mean of V.
      const float* m = mask.data() + b * T;
      for (int64_t i = 0; i < T; ++i) {
        if (m[i] != 0.f) continue;
        float* row = context.data() + (b * T + i) * HD;
        std::fill_n(row, HD, 0.f);
        for (int64_t j = 0; j < T; ++j) kernels::add_inplace(row, q + j * 3 * HD + 2 * HD, HD);
        for (int64_t d = 0; d < HD; ++d) row[d] /= static_cast<float>(T);
      }
    }
    return context;
  }

  // disentangled_attention_bias for one sequence, then HF's masked_fill(~mask, finfo.min) for padding
  // keys: bias (H, T, T). Padding query rows are left unmasked here; forward() replaces their output.
  void disentangled_attention_bias(const float* q, const float* k, int64_t stride, int64_t T, const float* m,
                                   const RelativePositions& rel, float* bias) const {
    const float masked = std::numeric_limits<float>::lowest();
    const bool use_c2p = config->relative_attention && c2p, use_p2c = config->relative_attention && p2c;
    // (H, T, width): only the columns lo..hi of the relative embeddings that T tokens can reach
    const int64_t lo = rel.lo, width = rel.hi - rel.lo + 1, HD = H * D;
    std::vector<float> c2p_att(use_c2p ? static_cast<size_t>(H * T * width) : 0);
    std::vector<float> p2c_att(use_p2c ? static_cast<size_t>(H * T * width) : 0);
    for (int64_t h = 0; h < H; ++h) {
      if (use_c2p)  // content→position: query · pos_key, scaled
        kernels::matmul(q + h * D, stride, pos_key_layer.data() + lo * HD + h * D, HD, c2p_att.data() + h * T * width,
                        width, T, width, D, /*transpose_b=*/true, 1.0f / scale, 0.f);
      if (use_p2c)  // position→content: key · pos_query, scaled
        kernels::matmul(k + h * D, stride, pos_query_layer.data() + lo * HD + h * D, HD,
                        p2c_att.data() + h * T * width, width, T, width, D, /*transpose_b=*/true, 1.0f / scale, 0.f);
    }
    // c2p gathered at (i, c2p index), p2c at (j, p2c index): a gather, no arithmetic beyond the sum.
#pragma omp parallel for collapse(2) schedule(static) if (H * T * T >= 32768)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < T; ++i) {
        const float* c2p_h = use_c2p ? c2p_att.data() + h * T * width : nullptr;
        const float* p2c_h = use_p2c ? p2c_att.data() + h * T * width : nullptr;
        float* row = bias + (h * T + i) * T;
        for (int64_t j = 0; j < T; ++j) {
          float s = 0.f;
          if (use_c2p) s += c2p_h[i * width + rel.c2p[i * T + j] - lo];
          if (use_p2c) s += p2c_h[j * width + rel.p2c[i * T + j] - lo];
          row[j] = (m[i] == 0.f || m[j] != 0.f) ? s : masked;
        }
      }
  }
};

// DebertaV2Layer = DebertaV2Attention (DisentangledSelfAttention + DebertaV2SelfOutput)
//                  + DebertaV2Intermediate + DebertaV2Output
struct DebertaV2Layer {
  DisentangledSelfAttention self;
  PackedLinear attention_output_dense, intermediate_dense, output_dense;
  nn::LayerNorm attention_output_norm, output_norm;
  Activation intermediate_act = Activation::Gelu;

  DebertaV2Layer(const nn::Weights& w, const DebertaV2Config& c, const Tensor& rel_embeddings)
      : self(w["attention.self"], c, rel_embeddings) {
    const int64_t C = c.hidden_size, HD = c.num_attention_heads * c.attention_head_size;
    attention_output_dense = nn::load_linear(w["attention.output.dense"], C, HD);
    attention_output_norm = nn::LayerNorm::load(w["attention.output.LayerNorm"], C, c.layer_norm_eps);
    intermediate_dense = nn::load_linear(w["intermediate.dense"], c.intermediate_size, C);
    intermediate_act = c.hidden_act;
    output_dense = nn::load_linear(w["output.dense"], C, c.intermediate_size);
    output_norm = nn::LayerNorm::load(w["output.LayerNorm"], C, c.layer_norm_eps);
  }

  Tensor forward(const Tensor& x, int64_t B, int64_t T, const std::vector<float>& mask,
                 const RelativePositions& rel) const {
    const int64_t rows = B * T, C = x.size(1), I = intermediate_dense.out_features();
    // DebertaV2SelfOutput: LayerNorm(dense(context) + input)
    Tensor context = self.forward(x, B, T, mask, rel);
    Tensor attention_output = Tensor::empty({rows, C});
    attention_output_dense.forward(context.data(), rows, attention_output.data());
    kernels::add_inplace(attention_output.data(), x.data(), rows * C);
    attention_output_norm(attention_output.data(), rows);
    // DebertaV2Intermediate
    Tensor intermediate = Tensor::empty({rows, I});
    intermediate_dense.forward(attention_output.data(), rows, intermediate.data());
    nn::apply_activation(intermediate_act, intermediate.data(), rows * I);
    // DebertaV2Output: LayerNorm(dense(intermediate) + attention_output)
    Tensor out = Tensor::empty({rows, C});
    output_dense.forward(intermediate.data(), rows, out.data());
    kernels::add_inplace(out.data(), attention_output.data(), rows * C);
    output_norm(out.data(), rows);
    return out;
  }
};

// ConvLayer: a 1-D convolution over the embeddings, added to the first layer's output.
struct ConvLayer {
  int64_t kernel_size = 0, C = 0;
  std::vector<float> taps;  // (kernel_size, C_out, C_in): tap k of the conv as a dense matrix (zeros off-group)
  Tensor bias;
  Activation act = Activation::Tanh;
  nn::LayerNorm layer_norm;

  ConvLayer(const nn::Weights& conv, const DebertaV2Config& c)
      : kernel_size(c.conv_kernel_size), C(c.hidden_size), act(c.conv_act) {
    const int64_t group = C / c.conv_groups;
    {
      const Tensor w = conv["conv"].view("weight", {C, group, kernel_size});  // nn.Conv1d (out, in/groups, k)
      taps.assign(static_cast<size_t>(kernel_size * C * C), 0.f);
      for (int64_t o = 0; o < C; ++o)
        for (int64_t i = 0; i < group; ++i)
          for (int64_t t = 0; t < kernel_size; ++t)
            taps[(t * C + o) * C + (o / group) * group + i] = w.data()[(o * group + i) * kernel_size + t];
    }
    conv["conv"].release("weight");
    bias = conv["conv"].copy("bias", {C});
    layer_norm = nn::LayerNorm::load(conv["LayerNorm"], C, c.layer_norm_eps);
  }

  // LayerNorm(residual + act(conv(hidden) masked)) · mask; hidden is the encoder's input.
  Tensor forward(const Tensor& hidden, const Tensor& residual, int64_t B, int64_t T,
                 const std::vector<float>& mask) const {
    const int64_t pad = (kernel_size - 1) / 2;
    Tensor out = Tensor::empty({B * T, C});
    for (int64_t r = 0; r < B * T; ++r) std::copy_n(bias.data(), C, out.data() + r * C);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < kernel_size; ++t) {
        // out[s] += tap_t · hidden[s + t - pad], zero padding outside the sequence
        const int64_t first = std::max<int64_t>(0, pad - t), last = std::min<int64_t>(T, T + pad - t);
        if (first >= last) continue;
        kernels::matmul(hidden.data() + (b * T + first + t - pad) * C, C, taps.data() + t * C * C, C,
                        out.data() + (b * T + first) * C, C, last - first, C, C, /*transpose_b=*/true, 1.f, 1.f);
      }
    for (int64_t r = 0; r < B * T; ++r)
      if (mask[r] == 0.f) std::fill_n(out.data() + r * C, C, 0.f);
    nn::apply_activation(act, out.data(), B * T * C);
    kernels::add_inplace(out.data(), residual.data(), B * T * C);
    layer_norm(out.data(), B * T);
    for (int64_t r = 0; r < B * T; ++r)
      if (mask[r] == 0.f) std::fill_n(out.data() + r * C, C, 0.f);
    return out;
  }
};

// DebertaV2Encoder
struct DebertaV2Encoder {
  const DebertaV2Config* config = nullptr;
  int64_t att_span = 0;
  std::vector<DebertaV2Layer> layers;
  std::vector<ConvLayer> conv;  // zero or one

  DebertaV2Encoder(const nn::Weights& w, const DebertaV2Config& c) : config(&c) {
    Tensor rel_embeddings;
    if (c.relative_attention) {
      // rel_embeddings (2·span, C), LayerNorm'ed when norm_rel_ebd says so (get_rel_embedding).
      att_span = c.position_buckets > 0 ? c.position_buckets : c.max_relative_positions;
      rel_embeddings = w["rel_embeddings"].copy("weight", {2 * att_span, c.hidden_size});
      w["rel_embeddings"].release("weight");
      if (contains(c.norm_rel_ebd, "layer_norm"))
        nn::LayerNorm::load(w["LayerNorm"], c.hidden_size, c.layer_norm_eps)(rel_embeddings.data(), 2 * att_span);
    }
    layers.reserve(static_cast<size_t>(c.num_hidden_layers));
    for (int64_t i = 0; i < c.num_hidden_layers; ++i)
      layers.emplace_back(w["layer." + std::to_string(i)], c, rel_embeddings);
    if (c.conv_kernel_size > 0) conv.emplace_back(w["conv"], c);
  }

  Tensor forward(const Tensor& hidden, int64_t B, int64_t T, const std::vector<float>& mask) const {
    RelativePositions rel;
    if (config->relative_attention)
      rel = build_relative_position(T, config->position_buckets, config->max_relative_positions, att_span);
    Tensor out = hidden;
    for (size_t i = 0; i < layers.size(); ++i) {
      out = layers[i].forward(out, B, T, mask, rel);
      if (i == 0 && !conv.empty()) out = conv[0].forward(hidden, out, B, T, mask);
    }
    return out;
  }
};

// DebertaV2Model: embeddings + encoder. `deberta` is the checkpoint seen at the base model's prefix.
class DebertaV2Model : public TokenEncoder {
 public:
  DebertaV2Model(const nn::Weights& deberta, DebertaV2Config config)
      : config_(std::move(config)), embeddings_(deberta["embeddings"], config_), encoder_(deberta["encoder"], config_) {}
  // The modules keep pointers to config_.
  DebertaV2Model(const DebertaV2Model&) = delete;
  DebertaV2Model& operator=(const DebertaV2Model&) = delete;

  // The checkpoint at "deberta" when its keys carry that prefix (*For* checkpoints), else at the root.
  static nn::Weights base_weights(const nn::Weights& root) {
    const nn::Weights base = root["deberta"];
    return base["embeddings.word_embeddings"].has("weight") ? base : root;
  }

  const DebertaV2Config& config() const { return config_; }
  // last_hidden_state (batch, seq_len, hidden_size)
  Tensor encode(const Batch& batch) const override {
    nn::check_batch(batch, "deberta_v2");
    const int64_t B = batch.batch, T = batch.seq_len;
    const std::vector<float> mask = float_mask(batch);
    return encoder_.forward(embeddings_.forward(batch, mask), B, T, mask).reshape({B, T, config_.hidden_size});
  }
  int64_t hidden_size() const override { return config_.hidden_size; }
  int64_t max_positions() const override { return config_.max_position_embeddings; }

 private:
  DebertaV2Config config_;
  DebertaV2Embeddings embeddings_;
  DebertaV2Encoder encoder_;
};

// DebertaV2ForSequenceClassification = DebertaV2Model + ContextPooler + classifier
class DebertaV2ForSequenceClassification : public SequenceClassifier {
 public:
  DebertaV2ForSequenceClassification(const nn::Weights& root, DebertaV2Config config) : model_(root["deberta"], std::move(config)) {
    const DebertaV2Config& c = model_.config();
    if (c.pooler_hidden_size != c.hidden_size)
      throw Error(c.file + ": field 'pooler_hidden_size' (" + std::to_string(c.pooler_hidden_size) +
                  ") must equal 'hidden_size': ContextPooler applies it to a hidden state");
    const int64_t P = c.pooler_hidden_size;
    pooler_dense_ = nn::load_linear(root["pooler.dense"], P, P);
    classifier_ = nn::load_linear(root["classifier"], static_cast<int64_t>(c.labels.id2label.size()), P);
  }

  Tensor classify(const Batch& batch) const override {
    const int64_t B = batch.batch, T = batch.seq_len, C = model_.config().hidden_size;
    if (B == 0) return Tensor::zeros({0, classifier_.out_features()});
    const Tensor hidden = model_.encode(batch);
    // ContextPooler: dense + activation on the first token
    Tensor first = Tensor::empty({B, C});
    for (int64_t b = 0; b < B; ++b) std::copy_n(hidden.data() + b * T * C, C, first.data() + b * C);
    Tensor pooled = Tensor::empty({B, C});
    pooler_dense_.forward(first.data(), B, pooled.data());
    nn::apply_activation(model_.config().pooler_hidden_act, pooled.data(), B * C);
    Tensor logits = Tensor::empty({B, classifier_.out_features()});
    classifier_.forward(pooled.data(), B, logits.data());
    return logits;
  }

  const LabelMaps& labels() const override { return model_.config().labels; }
  int64_t max_positions() const override { return model_.config().max_position_embeddings; }

 private:
  DebertaV2Model model_;
  PackedLinear pooler_dense_, classifier_;
};

// DebertaV2ForMaskedLM. config.legacy (default true) selects LegacyDebertaV2OnlyMLMHead,
// `cls.predictions.{transform.dense, transform.LayerNorm, decoder, bias}` with the decoder tied to the
// word embeddings; otherwise DebertaV2OnlyMLMHead, `lm_predictions.lm_head.{dense, LayerNorm, bias}`,
// whose decoder is always the word embeddings. Checkpoints that only hold the other layout's keys
// (microsoft/deberta-v3-* keep the original lm_predictions names with no `legacy` field) use the
// head they have: the only trained one.
class DebertaV2ForMaskedLM : public MaskedLM {
 public:
  DebertaV2ForMaskedLM(const nn::Weights& root, DebertaV2Config config)
      : model_(DebertaV2Model::base_weights(root), std::move(config)) {
    const DebertaV2Config& c = model_.config();
    const nn::Weights legacy_head = root["cls.predictions"], head = root["lm_predictions.lm_head"];
    const nn::Weights word_embeddings = DebertaV2Model::base_weights(root)["embeddings.word_embeddings"];
    const bool has_legacy = legacy_head["transform.dense"].has("weight"), has_head = head["dense"].has("weight");
    const bool legacy = c.legacy ? (has_legacy || !has_head) : (!has_head && has_legacy);
    head_.act = c.hidden_act;
    if (legacy) {  // LegacyDebertaV2LMPredictionHead: hidden -> embedding_size -> vocab
      const int64_t E = c.embedding_size;
      head_.dense = nn::load_linear(legacy_head["transform.dense"], E, c.hidden_size);
      head_.norm = nn::LayerNorm::load(legacy_head["transform.LayerNorm"], E, c.layer_norm_eps);
      head_.decoder = nn::load_linear(c.tie_word_embeddings ? word_embeddings : legacy_head["decoder"],
                                      legacy_head.has("bias") ? legacy_head : legacy_head["decoder"], c.vocab_size, E);
    } else {  // DebertaV2LMPredictionHead: hidden -> hidden -> word_embeddings^T + bias
      if (c.embedding_size != c.hidden_size)
        throw Error(c.file + ": lm_predictions.lm_head needs 'embedding_size' (" + std::to_string(c.embedding_size) +
                    ") equal to 'hidden_size' (" + std::to_string(c.hidden_size) + ")");
      head_.dense = nn::load_linear(head["dense"], c.hidden_size, c.hidden_size);
      head_.norm = nn::LayerNorm::load(head["LayerNorm"], c.hidden_size, c.layer_norm_eps);
      head_.decoder = nn::load_linear(word_embeddings, head, c.vocab_size, c.hidden_size);
    }
  }

  Tensor logits_at(const Batch& batch, const std::vector<int64_t>& positions) const override {
    const Tensor rows = nn::gather_rows(model_.encode(batch), positions, "deberta_v2");
    return head_.forward(rows.data(), rows.size(0));
  }
  int64_t vocab_size() const override { return model_.config().vocab_size; }
  int64_t max_positions() const override { return model_.config().max_position_embeddings; }

 private:
  DebertaV2Model model_;
  nn::MaskedLMHead head_;
};

}  // namespace

std::unique_ptr<SequenceClassifier> load_deberta_v2_classifier(const std::filesystem::path& dir, const ModelConfig& config) {
  DebertaV2Config parsed = read_config(config);
  const Checkpoint ckpt = Checkpoint::open(dir);
  return std::make_unique<DebertaV2ForSequenceClassification>(nn::Weights(ckpt, "", config.load_options()), std::move(parsed));
}

std::unique_ptr<TokenEncoder> load_deberta_v2_encoder(const std::filesystem::path& dir, const ModelConfig& config) {
  DebertaV2Config parsed = read_config(config);
  const Checkpoint ckpt = Checkpoint::open(dir);
  return std::make_unique<DebertaV2Model>(DebertaV2Model::base_weights(nn::Weights(ckpt, "", config.load_options())), std::move(parsed));
}

std::unique_ptr<MaskedLM> load_deberta_v2_masked_lm(const std::filesystem::path& dir, const ModelConfig& config) {
  DebertaV2Config parsed = read_config(config);
  const Checkpoint ckpt = Checkpoint::open(dir);
  return std::make_unique<DebertaV2ForMaskedLM>(nn::Weights(ckpt, "", config.load_options()), std::move(parsed));
}

}  // namespace lmpipe
