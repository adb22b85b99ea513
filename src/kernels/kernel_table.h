#pragma once
// Internal: the single-threaded building blocks each ISA provides. dispatch.cpp picks a table
// by get_cpu_isa() and does the threading; the same source (simd_kernels.inc) is compiled once
// per ISA, and the scalar table wraps ref::.
#include <cstdint>

#include "kernels/gemm.h"
#include "kernels/isa.h"
#include "kernels/kernels.h"

namespace lmpipe::kernels {

struct KernelTable {
  void (*layer_norm_row)(const float* x, const float* gamma, const float* beta, float* y, int64_t C, float eps);
  void (*rms_norm_row)(const float* x, const float* gamma, float* y, int64_t C, float eps);
  void (*softmax_row)(float* x, int64_t N);
  void (*gelu)(float* x, int64_t n);
  void (*gelu_tanh)(float* x, int64_t n);
  void (*relu)(float* x, int64_t n);
  void (*tanh)(float* x, int64_t n);
  void (*add)(float* y, const float* x, int64_t n);
  void (*mul)(float* y, const float* x, int64_t n);
  // Attention for head h only; scratch holds attention_scratch_floats(args) floats.
  void (*attention_head)(const AttentionArgs& args, int64_t h, float* scratch);
  // matmul() semantics on one thread, for products small enough that a library call costs more.
  void (*matmul)(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
                 int64_t M, int64_t N, int64_t K, bool transpose_b, float alpha, float beta);
  // PackedLinear's fp32 micro-kernel (gemm.h) and the most rows one call takes: over the
  // repacked A (lda = kARowStride), and over A's rows in place (any lda).
  gemm::TileFn gemm_tile_f32;
  gemm::TileFn gemm_tile_f32_in_place;
  int gemm_rows;
};

// Queries up to this many (and more than 4) take the transposed-scores path when not causal and
// without score biases; longer ones take the query blocks of the row-major one.
constexpr int64_t kTransposedMaxQueries = 128;
// Scratch one attention_head call needs, the larger of its two layouts: Kᵀ (D, Tk_pad) and the
// scores (Tq, Tk_pad), or Qᵀ (D, Tq_pad) and the transposed scores (Tk, Tq_pad); lengths padded to 16.
inline int64_t attention_scratch_floats(const AttentionArgs& a) {
  const int64_t tk_pad = (a.Tk + 15) / 16 * 16, tq_pad = (a.Tq + 15) / 16 * 16;
  const int64_t row_major = (a.D + a.Tq) * tk_pad, transposed = (a.D + a.Tk) * tq_pad;
  return row_major > transposed ? row_major : transposed;
}

extern const KernelTable kScalarKernels;
extern const KernelTable kAvx2Kernels;
extern const KernelTable kAvx512Kernels;

inline const KernelTable& kernel_table(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::avx512: return kAvx512Kernels;
    case CpuIsa::avx2: return kAvx2Kernels;
    case CpuIsa::scalar: break;
  }
  return kScalarKernels;
}

}  // namespace lmpipe::kernels
