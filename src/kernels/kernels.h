#pragma once
// CPU math kernels: free functions over raw fp32 pointers. They know nothing about models.
// Shapes are given in the comments; all matrices are row-major and densely packed unless a
// stride is given. Letters: M rows of activations, K input features, N output features,
// H heads, D head size, Tq/Tk query/key lengths.
//
// Each function dispatches to SIMD code for the CPU (AVX-512 or AVX2, else the scalar code in
// reference.h), detected once; LMPIPE_ISA=scalar|avx2|avx512 forces a lower one. PackedLinear
// runs this library's micro-kernels (gemm.h); large matmul() calls go to oneDNN. All parallel
// work (ours and oneDNN's, both OpenMP) uses num_threads() threads.
#include <cstdint>
#include <memory>
#include <vector>

namespace lmpipe::kernels {

// y(M,N) = x(M,K) · W(N,K)^T + bias(N). W as PyTorch nn.Linear stores it; bias may be null.
void linear(const float* x, const float* W, const float* bias, float* y, int64_t M, int64_t K, int64_t N);

// Arithmetic of a PackedLinear, chosen at load:
//  fp32: fp32 weights, activations and accumulation.
//  bf16: weights and activations rounded to bfloat16 (~3 significant digits), fp32 products,
//        sums, bias and output (AVX512-BF16 vdpbf16ps: twice the fp32 rate, half the memory).
//  int8: weights quantized per output feature (symmetric, scale max|w|/127) and activations per
//        row at each forward (scale max|x|/127, as PyTorch's quantize_dynamic and ONNX Runtime's
//        dynamic quantization do), exact int32 sums (AVX512-VNNI vpdpbusd), fp32 output.
// Where the CPU lacks the instructions, bf16 and int8 run on scalar reference kernels (slow).
enum class LinearPrecision { fp32, bf16, int8 };
const char* precision_name(LinearPrecision precision);

// Elementwise work PackedLinear::forward fuses into its output tiles while they are in cache.
enum class Activation { none, gelu, gelu_tanh, relu, tanh };
struct LinearEpilogue {
  Activation activation = Activation::none;  // applied to x·Wᵀ + bias
  const float* residual = nullptr;           // (M, N), added last; must not overlap y
};

// The weights of one nn.Linear packed once (see gemm.h) and applied many times. The source
// W/bias memory is not referenced after construction. Each output row depends only on its own
// input row: results do not change with M or with the other rows of x.
class PackedLinear {
 public:
  // One nn.Linear's weights as a checkpoint holds them: W (out_features, in_features) row-major,
  // bias (out_features) or null.
  struct Part {
    const float* W = nullptr;
    const float* bias = nullptr;
    int64_t out_features = 0;
  };

  PackedLinear();
  PackedLinear(const float* W, const float* bias, int64_t out_features, int64_t in_features,
               LinearPrecision precision = LinearPrecision::fp32);
  // Several nn.Linear over the same input packed as one; outputs concatenated in order (e.g.
  // q, k, v projections). Parts without a bias add zeros.
  PackedLinear(const std::vector<Part>& parts, int64_t in_features, LinearPrecision precision = LinearPrecision::fp32);
  ~PackedLinear();
  PackedLinear(PackedLinear&&) noexcept;
  PackedLinear& operator=(PackedLinear&&) noexcept;

  // y(M,N) = epilogue(x(M,K) · Wᵀ + bias)
  void forward(const float* x, int64_t M, float* y, const LinearEpilogue& epilogue = {}) const;
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  LinearPrecision precision() const;
  // Bytes of packed weights, scales and bias.
  int64_t bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t in_features_ = 0, out_features_ = 0;
};

// C(M,N) = alpha · A(M,K) · op(B) + beta · C, op(B) = B(K,N) or, with transpose_b, B(N,K)^T.
// lda/ldb/ldc are row strides in elements.
void matmul(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
            int64_t M, int64_t N, int64_t K, bool transpose_b, float alpha, float beta);

// y(rows,C) = (x - mean) / sqrt(var + eps) * gamma + beta, per row; y may alias x.
void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t C, float eps);
// T5 RMS norm: y = x / sqrt(mean(x^2) + eps) * gamma; y may alias x.
void rms_norm(const float* x, const float* gamma, float* y, int64_t rows, int64_t C, float eps);

// In-place softmax over each row of x(rows,N). Rows of all -inf give all zeros.
void softmax_rows(float* x, int64_t rows, int64_t N);

// In-place activations over n elements.
void gelu(float* x, int64_t n);       // exact: x/2 · (1 + erf(x/√2))  (HF "gelu")
void gelu_tanh(float* x, int64_t n);  // tanh approximation (HF "gelu_new", "gelu_pytorch_tanh")
void relu(float* x, int64_t n);
void tanh_inplace(float* x, int64_t n);

// y(n) += x(n)
void add_inplace(float* y, const float* x, int64_t n);
// y(n) *= x(n)
void mul_inplace(float* y, const float* x, int64_t n);
// x(rows,N) += bias(N) broadcast over rows
void add_bias_rows(float* x, const float* bias, int64_t rows, int64_t N);

// Multi-head scaled dot-product attention for one sequence.
// q(Tq, H·D) with row stride q_stride; k,v(Tk, H·D) with strides k_stride, v_stride;
// out(Tq, H·D) with stride out_stride. scores = scale · q·kᵀ (+ score_bias(H,Tq,Tk) if given)
// (+ key_bias(Tk) if given, e.g. 0 or -inf for padding) (causal: key j > query i masked).
struct AttentionArgs {
  const float* q = nullptr; int64_t q_stride = 0;
  const float* k = nullptr; int64_t k_stride = 0;
  const float* v = nullptr; int64_t v_stride = 0;
  float* out = nullptr; int64_t out_stride = 0;
  int64_t Tq = 0, Tk = 0, H = 0, D = 0;
  float scale = 1.0f;
  const float* key_bias = nullptr;    // (Tk) additive, or null
  const float* score_bias = nullptr;  // (H,Tq,Tk) additive, or null
  bool causal = false;
};
void attention(const AttentionArgs& args);
// attention() for `count` independent problems (e.g. the sequences of a batch): all their heads
// run in one parallel loop, so many short sequences still keep every thread busy.
void attention_batch(const AttentionArgs* args, int64_t count);

// dst row r (width floats, row stride dst_stride) = src row r (stride src_stride), for rows
// [0, rows), split over threads when large (a prefill's key/value cache writes).
void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows, int64_t width);

// Number of threads kernels may use (OpenMP); set from LMPIPE_NUM_THREADS or the hardware.
int num_threads();
void set_num_threads(int n);

}  // namespace lmpipe::kernels
