#pragma once
// Building blocks shared by the model families: checkpoint keys seen through a module prefix,
// torch.nn.Linear / LayerNorm / Embedding with their weights, HF activations by config name,
// config.json label maps, and padded-batch helpers. The math itself lives in src/kernels.
#include <cstdint>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "io/config.h"
#include "lmpipe/load_options.h"
#include "kernels/kernels.h"
#include "models/model.h"
#include "tensor/aligned.h"
#include "tensor/tensor.h"
#include "util/json.h"

namespace lmpipe::nn {

// A checkpoint seen from one module: Weights(ckpt, "model")["encoder"]["layers.0"].key("fc1.weight")
// is "model.encoder.layers.0.fc1.weight". Only used while loading; it references the checkpoint.
// It carries the LoadOptions to every module, so load_linear packs in the chosen dtype.
class Weights {
 public:
  Weights(const Checkpoint& checkpoint, std::string prefix, const LoadOptions& options = {})
      : ckpt_(&checkpoint), prefix_(std::move(prefix)), options_(options) {}
  Weights operator[](const std::string& child) const { return Weights(*ckpt_, key(child), options_); }
  std::string key(const std::string& leaf) const { return prefix_.empty() ? leaf : prefix_ + "." + leaf; }
  bool has(const std::string& leaf) const { return ckpt_->contains(key(leaf)); }
  // Owned fp32 copy, so the checkpoint (and its mapping) can be closed after loading.
  Tensor copy(const std::string& leaf, const Shape& shape) const { return ckpt_->load(key(leaf), shape).clone(); }
  // fp32 view for transient use during loading (packing).
  Tensor view(const std::string& leaf, const Shape& shape) const { return ckpt_->load(key(leaf), shape); }
  // Once a weight is packed or copied, drops its mapped file pages (Checkpoint::release).
  void release(const std::string& leaf) const { ckpt_->release(key(leaf)); }
  const Checkpoint& checkpoint() const { return *ckpt_; }
  const LoadOptions& options() const { return options_; }
  // The PackedLinear arithmetic for options().dtype.
  kernels::LinearPrecision linear_precision() const;

 private:
  const Checkpoint* ckpt_;
  std::string prefix_;
  LoadOptions options_;
};

// torch.nn.Linear from `<module>.weight` (out,in) and `<module>.bias` (out), or without bias
// (bias=False), packed in module.linear_precision().
kernels::PackedLinear load_linear(const Weights& module, int64_t out_features, int64_t in_features, bool bias = true);
// nn.Linear whose `weight` and `bias` live in different modules: an output projection tied to the
// word embeddings (`<weight_module>.weight`) with its own `<bias_module>.bias`.
kernels::PackedLinear load_linear(const Weights& weight_module, const Weights& bias_module, int64_t out_features,
                                  int64_t in_features);
// Several nn.Linear over the same input run as one GEMM; outputs are concatenated in order
// (e.g. q_proj, k_proj, v_proj -> one (3·out) projection).
kernels::PackedLinear load_fused_linear(const std::vector<Weights>& modules, int64_t out_features, int64_t in_features,
                                        bool bias = true);

// torch.nn.LayerNorm (elementwise affine).
struct LayerNorm {
  Tensor weight, bias;
  float eps = 1e-5f;
  static LayerNorm load(const Weights& module, int64_t dim, float eps);
  void operator()(float* x, int64_t rows) const;
  // y = LayerNorm(x), rows of weight.numel() values; y may alias x.
  void operator()(const float* x, float* y, int64_t rows) const;
};

// torch.nn.Embedding: rows of `weight` (num, dim) gathered by id.
struct Embedding {
  Tensor weight;                      // fp32 (num, dim), read-only (may view the checkpoint's
                                      // mapping); empty when the table is held in bfloat16
  std::vector<uint16_t> weight_bf16;  // (num, dim) bfloat16, for load_word_embeddings below
  static Embedding load(const Weights& module, int64_t num, int64_t dim);
  // The same, held in bfloat16 when the model loads with a reduced dtype (halves the largest
  // table's memory); then only lookup/add_lookup/row read it, never `weight`.
  static Embedding load_word_embeddings(const Weights& module, int64_t num, int64_t dim);
  int64_t num() const { return weight.defined() ? weight.size(0) : bf16_shape[0]; }
  int64_t dim() const { return weight.defined() ? weight.size(1) : bf16_shape[1]; }
  // out(n, dim) = weight[ids[i]] * scale; throws naming `what` on an id out of range.
  void lookup(const int32_t* ids, int64_t n, float* out, float scale, const char* what) const;
  // out(n, dim) += weight[ids[i]]
  void add_lookup(const int32_t* ids, int64_t n, float* out, const char* what) const;

  int64_t bf16_shape[2] = {0, 0};  // (num, dim) of weight_bf16
};

// transformers.activations.ACT2FN, the entries our kernels implement.
enum class Activation { Gelu, GeluTanh, Relu, Tanh };
// The same activation fused into a PackedLinear epilogue.
kernels::Activation kernel_activation(Activation act);
// config.json's `key` (or `fallback` when unset) as an activation; errors name the file and field.
Activation config_activation(const ModelConfig& config, const std::string& key, const std::string& fallback);
// An ACT2FN name as an activation; errors start with `what` (the file and field it came from).
Activation activation_by_name(const std::string& name, const std::string& what);
void apply_activation(Activation act, float* x, int64_t n);

// A required size field of config.json (> 0); errors name the file and the field.
int64_t config_dim(const ModelConfig& config, const std::string& key);

// config.json id2label / label2id (HF defaults LABEL_i when absent). `num_labels` is the number of labels.
LabelMaps parse_label_maps(const ModelConfig& config);

// Checks a padded batch's sizes and ids, and fills key_bias (batch, seq_len) with 0 for attended
// tokens and -inf for padding (an empty attention_mask means all ones). -inf rather than the dtype
// minimum: a row whose keys are all padding gives zeros, as PyTorch SDPA does on CPU.
void check_batch(const Batch& batch, const std::string& model);
void padding_key_bias(const std::vector<int32_t>& attention_mask, int64_t n, std::vector<float>& key_bias);
// Checks a packed batch's offsets and sizes (at least one sequence, none empty).
void check_packed(const PackedBatch& batch, const std::string& model);

// How the rows of an activation matrix (tokens, features) divide into sequences for attention:
// sequence b is rows [offsets[b], offsets[b+1]). A padded Batch is `batch` sequences of seq_len
// rows whose padding keys key_bias masks; a PackedBatch has no padding and no key_bias.
struct SequenceLayout {
  std::vector<int64_t> offsets{0};
  std::vector<float> key_bias;  // (tokens): 0 or -inf; empty means every key is attended

  static SequenceLayout padded(const Batch& batch);
  static SequenceLayout packed(const PackedBatch& batch);
  int64_t count() const { return static_cast<int64_t>(offsets.size()) - 1; }
  int64_t tokens() const { return offsets.back(); }
  int64_t length(int64_t b) const { return offsets[b + 1] - offsets[b]; }
  const float* key_bias_or_null() const { return key_bias.empty() ? nullptr : key_bias.data(); }
};

// Activation buffers reused across calls: grows `buffer` to n floats and returns its data.
float* scratch(AlignedFloats& buffer, int64_t n);

// Multi-head attention within each sequence (scale 1/sqrt(D), as every family here uses).
// Sequence b's queries are rows q_offsets[b].. of q, its keys/values rows kv_offsets[b].. of k
// and v (lengths from the offsets); *_stride are per-row strides in floats. key_bias is per key
// row (indexed like k) or null; causal masks key j > i + (Tk - Tq) for query i. All (sequence,
// head) pairs run in one parallel loop.
struct VarlenAttention {
  const float* q = nullptr; int64_t q_stride = 0;
  const float* k = nullptr; int64_t k_stride = 0;
  const float* v = nullptr; int64_t v_stride = 0;
  float* out = nullptr; int64_t out_stride = 0;
  const int64_t* q_offsets = nullptr;
  const int64_t* kv_offsets = nullptr;
  int64_t batch = 0, H = 0, D = 0;
  const float* key_bias = nullptr;
  bool causal = false;
};
void varlen_attention(const VarlenAttention& a);

// Multi-head attention over each row of a batch of equal-length rows. q/k/v/out point at row 0;
// *_stride are per-token strides and *_batch the distance between rows, in floats.
// key_bias is (batch / rows_per_kv, Tk) or null. Scale is 1/sqrt(D) unless set.
// rows_per_kv consecutive rows share one row of k/v and key_bias (the beams of one input
// attending to its encoder output).
struct BatchedAttention {
  const float* q = nullptr; int64_t q_stride = 0, q_batch = 0;
  const float* k = nullptr; int64_t k_stride = 0;
  const float* v = nullptr; int64_t v_stride = 0, kv_batch = 0;
  int64_t rows_per_kv = 1;
  float* out = nullptr; int64_t out_stride = 0, out_batch = 0;
  int64_t batch = 0, Tq = 0, Tk = 0, H = 0, D = 0;
  const float* key_bias = nullptr;
  const float* score_bias = nullptr;  // (H, Tq, Tk) added to every row's scores (T5's position bias)
  float scale = 0.f;                  // 0: 1/sqrt(D)
  bool causal = false;
};
void batched_attention(const BatchedAttention& a);

// Buffers of EncoderLayer::forward, reused across calls (one per concurrent caller).
struct EncoderScratch {
  AlignedFloats qkv, ctx, tmp, ffn;
};

// The post-LayerNorm encoder layer of BERT (BertLayer) and DistilBERT (TransformerBlock):
// h = LayerNorm(h + attention_output(self_attention(qkv(h)))), then
// h = LayerNorm(h + output(act(intermediate(h)))). The families load it from their own keys.
struct EncoderLayer {
  kernels::PackedLinear qkv;  // query, key, value fused
  kernels::PackedLinear attention_output;
  LayerNorm attention_norm;
  kernels::PackedLinear intermediate, output;
  LayerNorm output_norm;
  // h (seqs.tokens(), hidden) in place; attention within each sequence of `seqs`.
  void forward(float* h, const SequenceLayout& seqs, int64_t heads, Activation act, EncoderScratch& s) const;
};

// The masked-LM head of the encoder families: logits = decoder(LayerNorm(act(dense(h)))).
// BertLMPredictionHead, RobertaLMHead, DistilBertForMaskedLM's vocab_transform / vocab_layer_norm /
// vocab_projector and DeBERTa's heads all have this shape; each family loads it from its own keys.
struct MaskedLMHead {
  kernels::PackedLinear dense;  // (head, hidden)
  Activation act = Activation::Gelu;
  LayerNorm norm;               // (head)
  kernels::PackedLinear decoder;  // (vocab_size, head), usually the word embeddings with a bias
  // logits (rows, vocab_size) of hidden states h (rows, hidden)
  Tensor forward(const float* h, int64_t rows) const;
};

// Rows of hidden (B, T, C) at the flat positions b·T + t -> (n, C). The vocabulary projection runs
// only there (the masks), not on every token. Throws when a position is out of range.
Tensor gather_rows(const Tensor& hidden, const std::vector<int64_t>& positions, const std::string& model);

}  // namespace lmpipe::nn
