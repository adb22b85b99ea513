#pragma once
// Internal: the single-threaded building blocks each ISA provides. dispatch.cpp picks a table
// by get_cpu_isa() and does the threading; the same source (simd_kernels.inc) is compiled once
// per ISA, and the scalar table wraps ref::.
#include <cstdint>
#include <functional>

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
  // Few-row products that stream the weights once (decoding steps), M ≤ kMatvecRows, outputs
  // [n0, n1) of y(M, ldy) = x(M,K)·Wᵀ. matvec_rows: W(N,K) row-major (nn.Linear). matvec_panels:
  // W in panels of 64 outputs (oneDNN's BA16a64b): output n, input k at
  // W[(n/64)·panel_stride + 64k + n%64]; n0 a multiple of 64.
  void (*matvec_rows)(const float* x, int64_t K, const float* W, float* y, int64_t ldy, int64_t M, int64_t n0,
                      int64_t n1);
  void (*matvec_panels)(const float* x, int64_t K, const float* W, int64_t panel_stride, float* y, int64_t ldy,
                        int64_t M, int64_t n0, int64_t n1);
};

// The most rows one matvec call takes, and the panel width of matvec_panels.
constexpr int64_t kMatvecRows = 4;
constexpr int64_t kMatvecPanel = 64;

// Scratch one attention_head call needs: Kᵀ (D, Tk_pad) and the scores (Tq, Tk_pad), Tk padded to 16.
inline int64_t attention_scratch_floats(const AttentionArgs& a) {
  int64_t tk_pad = (a.Tk + 15) / 16 * 16;
  return (a.D + a.Tq) * tk_pad;
}

extern const KernelTable kScalarKernels;
extern const KernelTable kAvx2Kernels;
extern const KernelTable kAvx512Kernels;

// Runs fn(begin, end) on nt contiguous slices of [0, n), slice bounds multiples of `align`.
void parallel_ranges(int64_t n, int64_t align, int nt, const std::function<void(int64_t, int64_t)>& fn);
// The threads worth using for this many elements of work (1 below the parallel threshold).
int threads_for_work(int64_t elements);

inline const KernelTable& kernel_table(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::avx512: return kAvx512Kernels;
    case CpuIsa::avx2: return kAvx2Kernels;
    case CpuIsa::scalar: break;
  }
  return kScalarKernels;
}

}  // namespace lmpipe::kernels
