#pragma once
// CPU math kernels: free functions over raw fp32 pointers. They know nothing about models.
// Shapes are given in the comments; all matrices are row-major and densely packed unless a
// stride is given. Letters: M rows of activations, K input features, N output features,
// H heads, D head size, Tq/Tk query/key lengths.
//
// Each function dispatches to SIMD code for the CPU (AVX-512 or AVX2, else the scalar code in
// reference.h), detected once; LMPIPE_ISA=scalar|avx2|avx512 forces a lower one. GEMMs go to
// oneDNN. All parallel work (ours and oneDNN's, both OpenMP) uses num_threads() threads.
#include <cstdint>
#include <memory>

namespace lmpipe::kernels {

// y(M,N) = x(M,K) · W(N,K)^T + bias(N). W as PyTorch nn.Linear stores it; bias may be null.
// A few rows (M ≤ 4, e.g. a tied LM head at a decoding step) stream W once over all threads.
void linear(const float* x, const float* W, const float* bias, float* y, int64_t M, int64_t K, int64_t N);

// The weights of one nn.Linear prepared once (packed for the GEMM library) and applied many times.
// The source W/bias memory is not referenced after construction.
// Arithmetic of a PackedLinear. fp32: fp32 throughout. bf16: weights and activations rounded to
// bfloat16, fp32 accumulation, bias and output (about 2x faster on CPUs with AVX512-BF16, ~3
// significant digits); where the CPU has no bf16 matmul, the layer silently stays fp32.
enum class LinearPrecision { fp32, bf16 };

class PackedLinear {
 public:
  PackedLinear();
  PackedLinear(const float* W, const float* bias, int64_t out_features, int64_t in_features);
  PackedLinear(const float* W, const float* bias, int64_t out_features, int64_t in_features,
               LinearPrecision precision);
  ~PackedLinear();
  PackedLinear(PackedLinear&&) noexcept;
  PackedLinear& operator=(PackedLinear&&) noexcept;

  // y(M,N) = x(M,K) · W^T + bias. A few rows (M ≤ 4: decoding steps) read the packed weights
  // once through a streaming matrix-vector kernel where the packing allows it.
  void forward(const float* x, int64_t M, float* y) const;
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  // The precision actually used (bf16 requests fall back to fp32 where unsupported).
  LinearPrecision precision() const;

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

// Number of threads kernels may use (OpenMP); set from LMPIPE_NUM_THREADS or the hardware.
int num_threads();
void set_num_threads(int n);

}  // namespace lmpipe::kernels
