// DeBERTa-v2 / DeBERTa-v3 sequence classifier (e.g. the DeBERTa-v3 zero-shot NLI models).
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
#include "util/error.h"

namespace lmpipe {

namespace {

using kernels::PackedLinear;
using Activation = void (*)(float*, int64_t);

// ---------------------------------------------------------------------------------------------
// Configuration

// activations.py ACT2FN: the entries the kernels provide.
Activation activation_by_name(const std::string& name, const std::string& where, const std::string& field) {
  if (name == "gelu") return kernels::gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return kernels::gelu_tanh;
  if (name == "relu") return kernels::relu;
  if (name == "tanh") return kernels::tanh_inplace;
  throw Error(where + ": field '" + field + "': activation '" + name +
              "' is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu, tanh)");
}

// An optional config field with HF's default; a present field of the wrong type is an error.
template <typename T>
T field_or(const json& config, const std::string& key, T fallback, const std::string& where) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  return json_get<T>(config, key, where);
}

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

// PretrainedConfig id2label / label2id.
LabelMaps read_label_maps(const json& config, const std::string& where) {
  LabelMaps maps;
  if (auto it = config.find("id2label"); it != config.end() && !it->is_null()) {
    if (!it->is_object()) throw Error(where + ": field 'id2label' must be an object");
    for (const auto& [key, value] : it->items()) {
      size_t used = 0;
      int id = -1;
      try {
        id = std::stoi(key, &used);
      } catch (const std::exception&) {
      }
      if (used != key.size() || id < 0 || !value.is_string())
        throw Error(where + ": field 'id2label' has an invalid entry '" + key + "'");
      maps.id2label[id] = value.get<std::string>();
    }
  }
  if (auto it = config.find("label2id"); it != config.end() && !it->is_null()) {
    if (!it->is_object()) throw Error(where + ": field 'label2id' must be an object");
    for (const auto& [label, value] : it->items()) {
      if (!value.is_number_integer()) throw Error(where + ": field 'label2id' has an invalid entry '" + label + "'");
      maps.label2id[label] = value.get<int>();
    }
  }
  return maps;
}

// DebertaV2Config: the fields the forward pass reads. The sizes are required (HF's defaults are
// deberta-v2-xlarge's, which no other checkpoint matches); the rest default as in HF.
struct DebertaV2Config {
  std::string where;  // config.json's path, for messages
  int64_t vocab_size = 0, hidden_size = 0, num_hidden_layers = 0, num_attention_heads = 0, intermediate_size = 0,
          max_position_embeddings = 0;
  int64_t attention_head_size = 0;  // hidden_size / num_attention_heads unless given
  int64_t embedding_size = 0;       // hidden_size unless given
  int64_t type_vocab_size = 0;
  float layer_norm_eps = 1e-7f;
  Activation hidden_act = nullptr;
  bool position_biased_input = true;
  bool relative_attention = false;
  int64_t max_relative_positions = -1;  // < 1 means max_position_embeddings
  int64_t position_buckets = -1;
  std::vector<std::string> pos_att_type;
  bool share_att_key = false;
  std::vector<std::string> norm_rel_ebd;
  int64_t conv_kernel_size = 0, conv_groups = 1;
  Activation conv_act = nullptr;
  int64_t pooler_hidden_size = 0;
  Activation pooler_hidden_act = nullptr;
  LabelMaps labels;
};

DebertaV2Config read_config(const json& config, const std::string& where) {
  DebertaV2Config c;
  c.where = where;
  auto size = [&](const std::string& key) {
    const auto v = json_get<int64_t>(config, key, where);
    if (v <= 0) throw Error(where + ": field '" + key + "' must be positive");
    return v;
  };
  c.vocab_size = size("vocab_size");
  c.hidden_size = size("hidden_size");
  c.num_hidden_layers = size("num_hidden_layers");
  c.num_attention_heads = size("num_attention_heads");
  c.intermediate_size = size("intermediate_size");
  c.max_position_embeddings = size("max_position_embeddings");
  if (c.hidden_size % c.num_attention_heads != 0)
    throw Error(where + ": field 'hidden_size' (" + std::to_string(c.hidden_size) +
                ") is not a multiple of 'num_attention_heads' (" + std::to_string(c.num_attention_heads) + ")");
  c.attention_head_size = field_or<int64_t>(config, "attention_head_size", c.hidden_size / c.num_attention_heads, where);
  c.embedding_size = field_or<int64_t>(config, "embedding_size", c.hidden_size, where);
  c.type_vocab_size = field_or<int64_t>(config, "type_vocab_size", 0, where);
  if (c.attention_head_size <= 0) throw Error(where + ": field 'attention_head_size' must be positive");
  if (c.embedding_size <= 0) throw Error(where + ": field 'embedding_size' must be positive");
  if (c.type_vocab_size < 0) throw Error(where + ": field 'type_vocab_size' must not be negative");
  c.layer_norm_eps = field_or<float>(config, "layer_norm_eps", 1e-7f, where);
  c.hidden_act = activation_by_name(field_or<std::string>(config, "hidden_act", "gelu", where), where, "hidden_act");
  c.position_biased_input = field_or<bool>(config, "position_biased_input", true, where);
  c.relative_attention = field_or<bool>(config, "relative_attention", false, where);
  c.max_relative_positions = field_or<int64_t>(config, "max_relative_positions", -1, where);
  if (c.max_relative_positions < 1) c.max_relative_positions = c.max_position_embeddings;
  c.position_buckets = field_or<int64_t>(config, "position_buckets", -1, where);
  // make_log_bucket_position needs log((max_position - 1) / mid) > 0, mid = position_buckets / 2.
  if (c.relative_attention && c.position_buckets > 0 &&
      (c.position_buckets < 2 || c.max_relative_positions - 1 <= c.position_buckets / 2))
    throw Error(where + ": field 'position_buckets' (" + std::to_string(c.position_buckets) +
                ") must be at least 2 and below 2·(max_relative_positions - 1)");
  c.pos_att_type = string_list_field(config, "pos_att_type", "", where);
  c.share_att_key = field_or<bool>(config, "share_att_key", false, where);
  c.norm_rel_ebd = string_list_field(config, "norm_rel_ebd", "none", where);
  c.conv_kernel_size = field_or<int64_t>(config, "conv_kernel_size", 0, where);
  if (c.conv_kernel_size > 0) {
    c.conv_groups = field_or<int64_t>(config, "conv_groups", 1, where);
    if (c.conv_kernel_size % 2 == 0)  // nn.Conv1d's padding (k-1)/2 keeps the length only for odd k
      throw Error(where + ": field 'conv_kernel_size' must be odd");
    if (c.conv_groups <= 0 || c.hidden_size % c.conv_groups != 0)
      throw Error(where + ": field 'conv_groups' must divide 'hidden_size'");
    c.conv_act = activation_by_name(field_or<std::string>(config, "conv_act", "tanh", where), where, "conv_act");
  }
  c.pooler_hidden_size = field_or<int64_t>(config, "pooler_hidden_size", c.hidden_size, where);
  if (c.pooler_hidden_size != c.hidden_size)
    throw Error(where + ": field 'pooler_hidden_size' (" + std::to_string(c.pooler_hidden_size) +
                ") must equal 'hidden_size': ContextPooler applies it to a hidden state");
  c.pooler_hidden_act =
      activation_by_name(field_or<std::string>(config, "pooler_hidden_act", "gelu", where), where, "pooler_hidden_act");
  c.labels = read_label_maps(config, where);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Weights

PackedLinear load_linear(const Checkpoint& ckpt, const std::string& prefix, int64_t out, int64_t in, bool bias = true) {
  Tensor w = ckpt.load(prefix + ".weight", {out, in});
  Tensor b = bias ? ckpt.load(prefix + ".bias", {out}) : Tensor();
  return PackedLinear(w.data(), bias ? b.data() : nullptr, out, in);
}

// torch.nn.LayerNorm
struct LayerNorm {
  Tensor weight, bias;
  float eps = 0;
  LayerNorm() = default;
  LayerNorm(const Checkpoint& ckpt, const std::string& prefix, int64_t size, float eps_)
      : weight(ckpt.load(prefix + ".weight", {size})), bias(ckpt.load(prefix + ".bias", {size})), eps(eps_) {}
  void forward(float* x, int64_t rows) const {
    kernels::layer_norm(x, weight.data(), bias.data(), x, rows, weight.numel(), eps);
  }
};

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
  Tensor word_embeddings, position_embeddings, token_type_embeddings;
  PackedLinear embed_proj;  // only when embedding_size != hidden_size
  LayerNorm layer_norm;

  DebertaV2Embeddings(const Checkpoint& ckpt, const DebertaV2Config& c) : config(&c) {
    const std::string p = "deberta.embeddings.";
    word_embeddings = ckpt.load(p + "word_embeddings.weight", {c.vocab_size, c.embedding_size});
    if (c.position_biased_input)
      position_embeddings = ckpt.load(p + "position_embeddings.weight", {c.max_position_embeddings, c.embedding_size});
    if (c.type_vocab_size > 0)
      token_type_embeddings = ckpt.load(p + "token_type_embeddings.weight", {c.type_vocab_size, c.embedding_size});
    if (c.embedding_size != c.hidden_size)
      embed_proj = load_linear(ckpt, p + "embed_proj", c.hidden_size, c.embedding_size, /*bias=*/false);
    layer_norm = LayerNorm(ckpt, p + "LayerNorm", c.hidden_size, c.layer_norm_eps);
  }

  // (B*T, hidden_size); padding positions are zeroed (the `mask` multiply).
  Tensor forward(const Batch& batch, const std::vector<float>& mask) const {
    const auto& c = *config;
    const int64_t B = batch.batch, T = batch.seq_len, E = c.embedding_size, rows = B * T;
    if (c.position_biased_input && T > c.max_position_embeddings)
      throw Error("deberta_v2: sequence of " + std::to_string(T) + " tokens exceeds max_position_embeddings (" +
                  std::to_string(c.max_position_embeddings) + ")");
    Tensor emb = Tensor::empty({rows, E});
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t id = batch.input_ids[r];
      if (id < 0 || id >= c.vocab_size)
        throw Error("deberta_v2: input id " + std::to_string(id) + " is outside the vocabulary (vocab_size " +
                    std::to_string(c.vocab_size) + ")");
      float* out = emb.data() + r * E;
      std::copy_n(word_embeddings.data() + id * E, E, out);
      if (c.position_biased_input) kernels::add_inplace(out, position_embeddings.data() + (r % T) * E, E);
      if (c.type_vocab_size > 0) {
        const int64_t type = batch.token_type_ids.empty() ? 0 : batch.token_type_ids[r];
        if (type < 0 || type >= c.type_vocab_size)
          throw Error("deberta_v2: token type id " + std::to_string(type) + " is outside type_vocab_size (" +
                      std::to_string(c.type_vocab_size) + ")");
        kernels::add_inplace(out, token_type_embeddings.data() + type * E, E);
      }
    }
    if (E != c.hidden_size) {
      Tensor projected = Tensor::empty({rows, c.hidden_size});
      embed_proj.forward(emb.data(), rows, projected.data());
      emb = std::move(projected);
    }
    layer_norm.forward(emb.data(), rows);
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

  DisentangledSelfAttention(const Checkpoint& ckpt, const DebertaV2Config& c, const std::string& prefix,
                            const Tensor& rel_embeddings)
      : config(&c), H(c.num_attention_heads), D(c.attention_head_size) {
    const int64_t C = c.hidden_size, HD = H * D;
    Tensor q_w = ckpt.load(prefix + "query_proj.weight", {HD, C}), q_b = ckpt.load(prefix + "query_proj.bias", {HD});
    Tensor k_w = ckpt.load(prefix + "key_proj.weight", {HD, C}), k_b = ckpt.load(prefix + "key_proj.bias", {HD});
    Tensor v_w = ckpt.load(prefix + "value_proj.weight", {HD, C}), v_b = ckpt.load(prefix + "value_proj.bias", {HD});
    std::vector<float> w(static_cast<size_t>(3 * HD * C)), b(static_cast<size_t>(3 * HD));
    for (int part = 0; part < 3; ++part) {
      const Tensor& pw = part == 0 ? q_w : part == 1 ? k_w : v_w;
      const Tensor& pb = part == 0 ? q_b : part == 1 ? k_b : v_b;
      std::copy_n(pw.data(), HD * C, w.data() + part * HD * C);
      std::copy_n(pb.data(), HD, b.data() + part * HD);
    }
    qkv_proj = PackedLinear(w.data(), b.data(), 3 * HD, C);

    // scale_factor = 1 + one per c2p/p2c term, whether or not relative_attention is on.
    c2p = contains(c.pos_att_type, "c2p");
    p2c = contains(c.pos_att_type, "p2c");
    scale = std::sqrt(static_cast<float>(D) * static_cast<float>(1 + int(c2p) + int(p2c)));
    if (!c.relative_attention) return;
    att_span = c.position_buckets > 0 ? c.position_buckets : c.max_relative_positions;
    const int64_t P = 2 * att_span;
    auto project = [&](const std::string& name, const Tensor& W, const Tensor& B) {
      Tensor weight = W, bias = B;
      if (!c.share_att_key) {
        weight = ckpt.load(prefix + name + ".weight", {HD, C});
        bias = ckpt.load(prefix + name + ".bias", {HD});
      }
      Tensor out = Tensor::empty({P, HD});
      kernels::linear(rel_embeddings.data(), weight.data(), bias.data(), out.data(), P, C, HD);
      return out;
    };
    if (c2p) pos_key_layer = project("pos_key_proj", k_w, k_b);
    if (p2c) pos_query_layer = project("pos_query_proj", q_w, q_b);
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
  LayerNorm attention_output_norm, output_norm;
  Activation intermediate_act = nullptr;

  DebertaV2Layer(const Checkpoint& ckpt, const DebertaV2Config& c, const std::string& p, const Tensor& rel_embeddings)
      : self(ckpt, c, p + "attention.self.", rel_embeddings) {
    const int64_t C = c.hidden_size, HD = c.num_attention_heads * c.attention_head_size;
    attention_output_dense = load_linear(ckpt, p + "attention.output.dense", C, HD);
    attention_output_norm = LayerNorm(ckpt, p + "attention.output.LayerNorm", C, c.layer_norm_eps);
    intermediate_dense = load_linear(ckpt, p + "intermediate.dense", c.intermediate_size, C);
    intermediate_act = c.hidden_act;
    output_dense = load_linear(ckpt, p + "output.dense", C, c.intermediate_size);
    output_norm = LayerNorm(ckpt, p + "output.LayerNorm", C, c.layer_norm_eps);
  }

  Tensor forward(const Tensor& x, int64_t B, int64_t T, const std::vector<float>& mask,
                 const RelativePositions& rel) const {
    const int64_t rows = B * T, C = x.size(1), I = intermediate_dense.out_features();
    // DebertaV2SelfOutput: LayerNorm(dense(context) + input)
    Tensor context = self.forward(x, B, T, mask, rel);
    Tensor attention_output = Tensor::empty({rows, C});
    attention_output_dense.forward(context.data(), rows, attention_output.data());
    kernels::add_inplace(attention_output.data(), x.data(), rows * C);
    attention_output_norm.forward(attention_output.data(), rows);
    // DebertaV2Intermediate
    Tensor intermediate = Tensor::empty({rows, I});
    intermediate_dense.forward(attention_output.data(), rows, intermediate.data());
    intermediate_act(intermediate.data(), rows * I);
    // DebertaV2Output: LayerNorm(dense(intermediate) + attention_output)
    Tensor out = Tensor::empty({rows, C});
    output_dense.forward(intermediate.data(), rows, out.data());
    kernels::add_inplace(out.data(), attention_output.data(), rows * C);
    output_norm.forward(out.data(), rows);
    return out;
  }
};

// ConvLayer: a 1-D convolution over the embeddings, added to the first layer's output.
struct ConvLayer {
  int64_t kernel_size = 0, C = 0;
  std::vector<float> taps;  // (kernel_size, C_out, C_in): tap k of the conv as a dense matrix (zeros off-group)
  Tensor bias;
  Activation act = nullptr;
  LayerNorm layer_norm;

  ConvLayer(const Checkpoint& ckpt, const DebertaV2Config& c)
      : kernel_size(c.conv_kernel_size), C(c.hidden_size), act(c.conv_act) {
    const int64_t group = C / c.conv_groups;
    Tensor w = ckpt.load("deberta.encoder.conv.conv.weight", {C, group, kernel_size});  // nn.Conv1d (out, in/groups, k)
    bias = ckpt.load("deberta.encoder.conv.conv.bias", {C});
    taps.assign(static_cast<size_t>(kernel_size * C * C), 0.f);
    for (int64_t o = 0; o < C; ++o)
      for (int64_t i = 0; i < group; ++i)
        for (int64_t t = 0; t < kernel_size; ++t)
          taps[(t * C + o) * C + (o / group) * group + i] = w.data()[(o * group + i) * kernel_size + t];
    layer_norm = LayerNorm(ckpt, "deberta.encoder.conv.LayerNorm", C, c.layer_norm_eps);
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
    act(out.data(), B * T * C);
    kernels::add_inplace(out.data(), residual.data(), B * T * C);
    layer_norm.forward(out.data(), B * T);
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

  DebertaV2Encoder(const Checkpoint& ckpt, const DebertaV2Config& c) : config(&c) {
    Tensor rel_embeddings;
    if (c.relative_attention) {
      // rel_embeddings (2·span, C), LayerNorm'ed when norm_rel_ebd says so (get_rel_embedding).
      att_span = c.position_buckets > 0 ? c.position_buckets : c.max_relative_positions;
      rel_embeddings = ckpt.load("deberta.encoder.rel_embeddings.weight", {2 * att_span, c.hidden_size}).clone();
      if (contains(c.norm_rel_ebd, "layer_norm"))
        LayerNorm(ckpt, "deberta.encoder.LayerNorm", c.hidden_size, c.layer_norm_eps)
            .forward(rel_embeddings.data(), 2 * att_span);
    }
    layers.reserve(static_cast<size_t>(c.num_hidden_layers));
    for (int64_t i = 0; i < c.num_hidden_layers; ++i)
      layers.emplace_back(ckpt, c, "deberta.encoder.layer." + std::to_string(i) + ".", rel_embeddings);
    if (c.conv_kernel_size > 0) conv.emplace_back(ckpt, c);
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

// DebertaV2ForSequenceClassification = DebertaV2Model + ContextPooler + classifier
class DebertaV2ForSequenceClassification : public SequenceClassifier {
 public:
  DebertaV2ForSequenceClassification(const Checkpoint& ckpt, DebertaV2Config config)
      : config_(std::move(config)), embeddings_(ckpt, config_), encoder_(ckpt, config_) {
    const int64_t P = config_.pooler_hidden_size;
    pooler_dense_ = load_linear(ckpt, "pooler.dense", P, P);
    // num_labels: config.json's id2label, else the checkpoint's classifier (HF names them LABEL_i).
    int64_t num_labels = static_cast<int64_t>(config_.labels.id2label.size());
    if (num_labels == 0) {
      const Shape& shape = ckpt.info("classifier.weight").shape;
      if (shape.size() != 2) throw Error("classifier.weight: expected a matrix, got " + shape_to_string(shape));
      num_labels = shape[0];
      for (int i = 0; i < num_labels; ++i) config_.labels.id2label[i] = "LABEL_" + std::to_string(i);
    }
    for (int i = 0; i < num_labels; ++i)
      if (!config_.labels.id2label.count(i))
        throw Error(config_.where + ": field 'id2label' lacks label id " + std::to_string(i));
    if (config_.labels.label2id.empty())
      for (const auto& [id, label] : config_.labels.id2label) config_.labels.label2id[label] = id;
    classifier_ = load_linear(ckpt, "classifier", num_labels, P);
  }

  Tensor classify(const Batch& batch) const override {
    const int64_t B = batch.batch, T = batch.seq_len, C = config_.hidden_size;
    if (B == 0) return Tensor::zeros({0, classifier_.out_features()});
    if (B < 0 || T <= 0) throw Error("deberta_v2: a batch needs at least one token per sequence");
    const auto n = static_cast<size_t>(B * T);
    if (batch.input_ids.size() != n || (!batch.attention_mask.empty() && batch.attention_mask.size() != n) ||
        (!batch.token_type_ids.empty() && batch.token_type_ids.size() != n))
      throw Error("deberta_v2: batch arrays do not match batch x seq_len = " + std::to_string(n));
    // DebertaV2Model
    const std::vector<float> mask = float_mask(batch);
    Tensor hidden = encoder_.forward(embeddings_.forward(batch, mask), B, T, mask);
    // ContextPooler: dense + activation on the first token
    Tensor first = Tensor::empty({B, C});
    for (int64_t b = 0; b < B; ++b) std::copy_n(hidden.data() + b * T * C, C, first.data() + b * C);
    Tensor pooled = Tensor::empty({B, C});
    pooler_dense_.forward(first.data(), B, pooled.data());
    config_.pooler_hidden_act(pooled.data(), B * C);
    Tensor logits = Tensor::empty({B, classifier_.out_features()});
    classifier_.forward(pooled.data(), B, logits.data());
    return logits;
  }

  const LabelMaps& labels() const override { return config_.labels; }
  int64_t max_positions() const override { return config_.max_position_embeddings; }

 private:
  DebertaV2Config config_;
  DebertaV2Embeddings embeddings_;
  DebertaV2Encoder encoder_;
  PackedLinear pooler_dense_, classifier_;
};

}  // namespace

std::unique_ptr<SequenceClassifier> load_deberta_v2_classifier(const std::filesystem::path& dir, const json& config) {
  DebertaV2Config parsed = read_config(config, (dir / "config.json").string());
  Checkpoint ckpt = Checkpoint::open(dir);
  return std::make_unique<DebertaV2ForSequenceClassification>(ckpt, std::move(parsed));
}

}  // namespace lmpipe
