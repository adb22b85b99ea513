#include "models/layers.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/gemm.h"
#include "kernels/isa.h"
#include "util/error.h"
#include "util/log.h"

namespace lmpipe::nn {

kernels::LinearPrecision Weights::linear_precision() const {
  switch (options_.dtype) {
    case WeightDtype::float32: return kernels::LinearPrecision::fp32;
    case WeightDtype::bfloat16:
      if (!kernels::cpu_has_avx512_bf16())
        log_warning_once("dtype bfloat16: this CPU (or LMPIPE_ISA) has no AVX512-BF16, so its linear layers run on "
                         "slow reference kernels; float32 is faster here");
      return kernels::LinearPrecision::bf16;
    case WeightDtype::int8:
      if (!kernels::cpu_has_avx512_vnni())
        log_warning_once("dtype int8: this CPU (or LMPIPE_ISA) has no AVX512-VNNI, so its linear layers run on "
                         "slow reference kernels; float32 is faster here");
      return kernels::LinearPrecision::int8;
  }
  return kernels::LinearPrecision::fp32;
}

kernels::PackedLinear load_linear(const Weights& module, int64_t out_features, int64_t in_features, bool bias) {
  kernels::PackedLinear packed;
  {
    const Tensor W = module.view("weight", {out_features, in_features});
    const Tensor b = bias ? module.view("bias", {out_features}) : Tensor();
    packed = kernels::PackedLinear(W.data(), bias ? b.data() : nullptr, out_features, in_features,
                                   module.linear_precision());
  }
  module.release("weight");
  return packed;
}

kernels::PackedLinear load_linear(const Weights& weight_module, const Weights& bias_module, int64_t out_features,
                                  int64_t in_features) {
  kernels::PackedLinear packed;
  {
    const Tensor W = weight_module.view("weight", {out_features, in_features});
    const Tensor b = bias_module.view("bias", {out_features});
    packed = kernels::PackedLinear(W.data(), b.data(), out_features, in_features);
  }
  weight_module.release("weight");
  return packed;
}

kernels::PackedLinear load_fused_linear(const std::vector<Weights>& modules, int64_t out_features, int64_t in_features,
                                        bool bias) {
  // Views for packing (mapped fp32, or converted copies), then the mapped pages are released.
  std::vector<Tensor> W, b;
  std::vector<kernels::PackedLinear::Part> parts;
  for (const Weights& module : modules) {
    W.push_back(module.view("weight", {out_features, in_features}));
    b.push_back(bias ? module.view("bias", {out_features}) : Tensor());
    parts.push_back({W.back().data(), bias ? b.back().data() : nullptr, out_features});
  }
  kernels::PackedLinear packed(parts, in_features, modules.at(0).linear_precision());
  for (const Weights& module : modules) module.release("weight");
  return packed;
}

LayerNorm LayerNorm::load(const Weights& module, int64_t dim, float eps) {
  return LayerNorm{module.copy("weight", {dim}), module.copy("bias", {dim}), eps};
}

void LayerNorm::operator()(float* x, int64_t rows) const { (*this)(x, x, rows); }

void LayerNorm::operator()(const float* x, float* y, int64_t rows) const {
  kernels::layer_norm(x, weight.data(), bias.data(), y, rows, weight.numel(), eps);
}

Embedding Embedding::load(const Weights& module, int64_t num, int64_t dim) {
  // A view: fp32 checkpoints stay mapped (only the rows looked up become resident), others are
  // converted copies the view owns.
  Embedding e;
  e.weight = module.view("weight", {num, dim});
  return e;
}

Embedding Embedding::load_word_embeddings(const Weights& module, int64_t num, int64_t dim) {
  if (module.options().dtype == WeightDtype::float32) return load(module, num, dim);
  Embedding e;
  {
    const Tensor w = module.view("weight", {num, dim});
    e.weight_bf16.resize(static_cast<size_t>(num * dim));
    for (int64_t i = 0; i < num * dim; ++i) e.weight_bf16[i] = kernels::gemm::to_bf16(w.data()[i]);
  }
  e.bf16_shape[0] = num, e.bf16_shape[1] = dim;
  module.release("weight");
  return e;
}

namespace {
void check_id(const Embedding& e, int32_t id, const char* what) {
  if (id < 0 || id >= e.num())
    throw Error(std::string(what) + ": id " + std::to_string(id) + " is out of range [0, " + std::to_string(e.num()) + ")");
}
// Row `id` as fp32 into buf (bfloat16 tables), or a pointer into the fp32 table.
const float* embedding_row(const Embedding& e, int32_t id, const char* what, float* buf) {
  check_id(e, id, what);
  const int64_t d = e.dim();
  if (e.weight.defined()) return e.weight.data() + static_cast<int64_t>(id) * d;
  const uint16_t* row = e.weight_bf16.data() + static_cast<int64_t>(id) * d;
  for (int64_t c = 0; c < d; ++c) buf[c] = kernels::gemm::from_bf16(row[c]);
  return buf;
}
}  // namespace

void Embedding::lookup(const int32_t* ids, int64_t n, float* out, float scale, const char* what) const {
  const int64_t d = dim();
  for (int64_t i = 0; i < n; ++i) {
    float* o = out + i * d;
    const float* row = embedding_row(*this, ids[i], what, o);
    if (scale == 1.0f) {
      if (row != o) std::memcpy(o, row, sizeof(float) * d);
    } else {
      for (int64_t c = 0; c < d; ++c) o[c] = row[c] * scale;
    }
  }
}

void Embedding::add_lookup(const int32_t* ids, int64_t n, float* out, const char* what) const {
  const int64_t d = dim();
  std::vector<float> buf(weight.defined() ? 0 : static_cast<size_t>(d));
  for (int64_t i = 0; i < n; ++i) kernels::add_inplace(out + i * d, embedding_row(*this, ids[i], what, buf.data()), d);
}

kernels::Activation kernel_activation(Activation act) {
  switch (act) {
    case Activation::Gelu: return kernels::Activation::gelu;
    case Activation::GeluTanh: return kernels::Activation::gelu_tanh;
    case Activation::Relu: return kernels::Activation::relu;
    case Activation::Tanh: return kernels::Activation::tanh;
  }
  return kernels::Activation::none;
}

Activation config_activation(const ModelConfig& config, const std::string& field, const std::string& fallback) {
  return activation_by_name(config.get_or<std::string>(field, fallback), config.file().string() + ": field '" + field + "'");
}

Activation activation_by_name(const std::string& name, const std::string& what) {
  if (name == "gelu") return Activation::Gelu;
  // gelu_fast is the same tanh formula written differently.
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::GeluTanh;
  if (name == "relu") return Activation::Relu;
  if (name == "tanh") return Activation::Tanh;
  throw Error(what + " = '" + name + "' is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, " +
              "relu, tanh)");
}

void apply_activation(Activation act, float* x, int64_t n) {
  switch (act) {
    case Activation::Gelu: kernels::gelu(x, n); break;
    case Activation::GeluTanh: kernels::gelu_tanh(x, n); break;
    case Activation::Relu: kernels::relu(x, n); break;
    case Activation::Tanh: kernels::tanh_inplace(x, n); break;
  }
}

int64_t config_dim(const ModelConfig& config, const std::string& key) {
  const int64_t value = config.get<int64_t>(key);
  if (value <= 0)
    throw Error(config.file().string() + ": field '" + key + "' must be positive, got " + std::to_string(value));
  return value;
}

LabelMaps parse_label_maps(const ModelConfig& c) {
  const json& config = c.raw();
  const std::string where = c.file().string();
  LabelMaps maps;
  if (auto it = config.find("id2label"); it != config.end() && !it->is_null()) {
    if (!it->is_object()) throw Error(where + ": field 'id2label' must be an object");
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) throw Error(where + ": id2label['" + key + "'] must be a string");
      int id = 0;
      try {
        size_t used = 0;
        id = std::stoi(key, &used);
        if (used != key.size()) throw std::invalid_argument(key);
      } catch (const std::exception&) {
        throw Error(where + ": id2label key '" + key + "' is not an integer");
      }
      maps.id2label[id] = value.get<std::string>();
    }
  } else {
    const int n = c.get_or<int>("num_labels", 2);
    for (int i = 0; i < n; ++i) maps.id2label[i] = "LABEL_" + std::to_string(i);
  }
  if (auto it = config.find("label2id"); it != config.end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) {
      if (!value.is_number_integer()) throw Error(where + ": label2id['" + key + "'] must be an integer");
      maps.label2id[key] = value.get<int>();
    }
  } else {
    for (const auto& [id, label] : maps.id2label) maps.label2id[label] = id;
  }
  int expected = 0;
  for (const auto& [id, _] : maps.id2label)
    if (id != expected++) throw Error(where + ": id2label ids must be 0.." + std::to_string(maps.id2label.size() - 1));
  return maps;
}

void check_batch(const Batch& batch, const std::string& model) {
  const size_t n = static_cast<size_t>(batch.batch * batch.seq_len);
  if (batch.batch <= 0 || batch.seq_len <= 0) throw Error(model + ": empty batch");
  if (batch.input_ids.size() != n)
    throw Error(model + ": input_ids has " + std::to_string(batch.input_ids.size()) + " ids, expected batch x seq_len = " +
                std::to_string(n));
  if (!batch.attention_mask.empty() && batch.attention_mask.size() != n)
    throw Error(model + ": attention_mask has " + std::to_string(batch.attention_mask.size()) + " entries, expected " +
                std::to_string(n));
  if (!batch.token_type_ids.empty() && batch.token_type_ids.size() != n)
    throw Error(model + ": token_type_ids has " + std::to_string(batch.token_type_ids.size()) + " entries, expected " +
                std::to_string(n));
}

void padding_key_bias(const std::vector<int32_t>& attention_mask, int64_t n, std::vector<float>& key_bias) {
  key_bias.assign(static_cast<size_t>(n), 0.f);
  if (attention_mask.empty()) return;
  for (int64_t i = 0; i < n; ++i)
    if (attention_mask[i] == 0) key_bias[i] = -std::numeric_limits<float>::infinity();
}

void check_packed(const PackedBatch& batch, const std::string& model) {
  if (batch.offsets.empty() || batch.offsets.front() != 0) throw Error(model + ": packed batch offsets must start at 0");
  if (batch.batch() <= 0) throw Error(model + ": empty batch");
  for (int64_t b = 0; b < batch.batch(); ++b)
    if (batch.length(b) <= 0) throw Error(model + ": sequence " + std::to_string(b) + " of the packed batch is empty");
  const size_t n = static_cast<size_t>(batch.tokens());
  if (batch.input_ids.size() != n)
    throw Error(model + ": input_ids has " + std::to_string(batch.input_ids.size()) + " ids, the offsets say " +
                std::to_string(n));
  if (!batch.token_type_ids.empty() && batch.token_type_ids.size() != n)
    throw Error(model + ": token_type_ids has " + std::to_string(batch.token_type_ids.size()) + " entries, expected " +
                std::to_string(n));
}

SequenceLayout SequenceLayout::padded(const Batch& batch) {
  SequenceLayout layout;
  for (int64_t b = 1; b <= batch.batch; ++b) layout.offsets.push_back(b * batch.seq_len);
  bool any_padding = false;
  for (int32_t m : batch.attention_mask) any_padding |= m == 0;
  if (any_padding) padding_key_bias(batch.attention_mask, batch.batch * batch.seq_len, layout.key_bias);
  return layout;
}

SequenceLayout SequenceLayout::packed(const PackedBatch& batch) {
  SequenceLayout layout;
  layout.offsets = batch.offsets;
  return layout;
}

float* scratch(AlignedFloats& buffer, int64_t n) {
  if (buffer.size() < static_cast<size_t>(n)) {
    // Large buffers grow by whole huge pages, so that all of them is on huge pages.
    constexpr size_t kPage = kHugeBytes / sizeof(float);
    size_t size = static_cast<size_t>(n);
    if (size >= kPage) size = (size + kPage - 1) / kPage * kPage;
    buffer.resize(size);
  }
  return buffer.data();
}

void varlen_attention(const VarlenAttention& a) {
  std::vector<kernels::AttentionArgs> problems(static_cast<size_t>(a.batch));
  for (int64_t b = 0; b < a.batch; ++b) {
    kernels::AttentionArgs& args = problems[b];
    const int64_t q0 = a.q_offsets[b], k0 = a.kv_offsets[b];
    args.q = a.q + q0 * a.q_stride, args.q_stride = a.q_stride;
    args.k = a.k + k0 * a.k_stride, args.k_stride = a.k_stride;
    args.v = a.v + k0 * a.v_stride, args.v_stride = a.v_stride;
    args.out = a.out + q0 * a.out_stride, args.out_stride = a.out_stride;
    args.Tq = a.q_offsets[b + 1] - q0;
    args.Tk = a.kv_offsets[b + 1] - k0;
    args.H = a.H, args.D = a.D;
    args.scale = 1.0f / std::sqrt(static_cast<float>(a.D));
    args.key_bias = a.key_bias ? a.key_bias + k0 : nullptr;
    args.causal = a.causal;
  }
  kernels::attention_batch(problems.data(), a.batch);
}

void batched_attention(const BatchedAttention& a) {
  std::vector<kernels::AttentionArgs> problems(static_cast<size_t>(a.batch));
  for (int64_t b = 0; b < a.batch; ++b) {
    const int64_t kv_row = b / a.rows_per_kv;
    kernels::AttentionArgs& args = problems[b];
    args.q = a.q + b * a.q_batch, args.q_stride = a.q_stride;
    args.k = a.k + kv_row * a.kv_batch, args.k_stride = a.k_stride;
    args.v = a.v + kv_row * a.kv_batch, args.v_stride = a.v_stride;
    args.out = a.out + b * a.out_batch, args.out_stride = a.out_stride;
    args.Tq = a.Tq, args.Tk = a.Tk, args.H = a.H, args.D = a.D;
    args.scale = a.scale != 0.f ? a.scale : 1.0f / std::sqrt(static_cast<float>(a.D));
    args.score_bias = a.score_bias;
    args.key_bias = a.key_bias ? a.key_bias + kv_row * a.Tk : nullptr;
    args.causal = a.causal;
  }
  kernels::attention_batch(problems.data(), a.batch);
}

void EncoderLayer::forward(float* h, const SequenceLayout& seqs, int64_t H, Activation act, EncoderScratch& s) const {
  const int64_t d = attention_output.out_features(), ffn_dim = intermediate.out_features(), rows = seqs.tokens();
  float* qkv_out = scratch(s.qkv, rows * 3 * d);
  float* ctx = scratch(s.ctx, rows * d);
  float* tmp = scratch(s.tmp, rows * d);
  float* ffn = scratch(s.ffn, rows * ffn_dim);
  // Self-attention within each sequence: fused q/k/v, padding keys masked.
  qkv.forward(h, rows, qkv_out);
  VarlenAttention a;
  a.q = qkv_out, a.q_stride = 3 * d;
  a.k = qkv_out + d, a.k_stride = 3 * d, a.v = qkv_out + 2 * d, a.v_stride = 3 * d;
  a.out = ctx, a.out_stride = d;
  a.q_offsets = a.kv_offsets = seqs.offsets.data();
  a.batch = seqs.count(), a.H = H, a.D = d / H;
  a.key_bias = seqs.key_bias_or_null();
  varlen_attention(a);
  attention_output.forward(ctx, rows, tmp, {.residual = h});
  attention_norm(tmp, h, rows);
  // Feed-forward with its residual LayerNorm; activation and residual fused into the GEMMs.
  intermediate.forward(h, rows, ffn, {.activation = kernel_activation(act)});
  output.forward(ffn, rows, tmp, {.residual = h});
  output_norm(tmp, h, rows);
}

Tensor MaskedLMHead::forward(const float* h, int64_t rows) const {
  const int64_t d = dense.out_features();
  std::vector<float> x(static_cast<size_t>(rows * d));
  dense.forward(h, rows, x.data());
  apply_activation(act, x.data(), rows * d);
  norm(x.data(), rows);
  Tensor logits = Tensor::empty({rows, decoder.out_features()});
  decoder.forward(x.data(), rows, logits.data());
  return logits;
}

Tensor gather_rows(const Tensor& hidden, const std::vector<int64_t>& positions, const std::string& model) {
  const int64_t n = static_cast<int64_t>(positions.size()), rows = hidden.size(0) * hidden.size(1), C = hidden.size(2);
  Tensor out = Tensor::empty({n, C});
  for (int64_t i = 0; i < n; ++i) {
    if (positions[i] < 0 || positions[i] >= rows)
      throw Error(model + ": position " + std::to_string(positions[i]) + " is outside the batch's " +
                  std::to_string(rows) + " tokens");
    std::memcpy(out.data() + i * C, hidden.data() + positions[i] * C, sizeof(float) * C);
  }
  return out;
}

}  // namespace lmpipe::nn
