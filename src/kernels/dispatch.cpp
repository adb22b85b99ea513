// The public kernels: pick the table for get_cpu_isa() and split work over num_threads().
#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/kernels.h"
#include "kernels/onednn.h"
#include "kernels/reference.h"

namespace lmpipe::kernels {
namespace {

const KernelTable& table() { return kernel_table(get_cpu_isa()); }

// Below this much work a parallel region costs more than it saves.
constexpr int64_t kParallelElements = 1 << 15;

int threads_for(int64_t work) { return work >= kParallelElements ? num_threads() : 1; }

// Runs fn(begin, end) on contiguous chunks of [0, n) (multiples of 64 so chunks stay aligned).
template <class Fn>
void parallel_chunks(int64_t n, Fn fn) {
  int nt = threads_for(n);
  if (nt <= 1) return fn(int64_t{0}, n);
  int64_t chunk = ((n + nt - 1) / nt + 63) / 64 * 64;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int t = 0; t < nt; ++t) {
    int64_t b = std::min(n, t * chunk), e = std::min(n, b + chunk);
    if (b < e) fn(b, e);
  }
}

// An elementwise kernel, f(x) in place or f(y, x) into y, over [0, n) in parallel chunks.
void map_chunks(void (*f)(float*, int64_t), float* x, int64_t n) {
  parallel_chunks(n, [&](int64_t b, int64_t e) { f(x + b, e - b); });
}
void combine_chunks(void (*f)(float*, const float*, int64_t), float* y, const float* x, int64_t n) {
  parallel_chunks(n, [&](int64_t b, int64_t e) { f(y + b, x + b, e - b); });
}

// attention_batch keeps each thread's scratch between calls up to this many floats (16 MB).
constexpr int64_t kKeptScratch = int64_t{1} << 22;

// A head's rows of q, k and v are prefetched while the head before it runs, up to this many keys.
constexpr int64_t kPrefetchedKeys = 256;

// Head h's lines of q, k and v: rows a q/k/v_stride apart (a fused projection's output, just
// written and mostly out of L2), which the hardware prefetchers do not fetch ahead.
void prefetch_head(const AttentionArgs& a, int64_t h) {
  if (a.Tk > kPrefetchedKeys || a.Tq > kPrefetchedKeys) return;
  auto lines = [&](const float* row) {
    for (int64_t d = 0; d < a.D; d += 16) __builtin_prefetch(row + h * a.D + d);
  };
  for (int64_t i = 0; i < a.Tq; ++i) lines(a.q + i * a.q_stride);
  for (int64_t j = 0; j < a.Tk; ++j) lines(a.k + j * a.k_stride), lines(a.v + j * a.v_stride);
}

// Products up to this many multiply-adds stay in the SIMD loop; larger ones go to oneDNN.
constexpr int64_t kSmallMatmulFlops = int64_t{1} << 21;

}  // namespace

void matmul(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
            int64_t M, int64_t N, int64_t K, bool transpose_b, float alpha, float beta) {
  if (M <= 0 || N <= 0) return;
  const KernelTable& t = table();
  if (K > 0 && M * N * K > kSmallMatmulFlops && get_cpu_isa() != CpuIsa::scalar)
    return dnnl_matmul(A, lda, B, ldb, C, ldc, M, N, K, transpose_b, alpha, beta);
  // Row blocks of 4 (the micro-kernel height) split over threads when there is enough work.
  const int64_t blocks = (M + 3) / 4;
  const int nt = static_cast<int>(std::min<int64_t>(blocks, threads_for(M * N * std::max<int64_t>(K, 1) / 8)));
  if (nt <= 1) return t.matmul(A, lda, B, ldb, C, ldc, M, N, K, transpose_b, alpha, beta);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int p = 0; p < nt; ++p) {
    int64_t m0 = blocks * p / nt * 4, m1 = std::min(M, blocks * (p + 1) / nt * 4);
    if (m0 < m1) t.matmul(A + m0 * lda, lda, B, ldb, C + m0 * ldc, ldc, m1 - m0, N, K, transpose_b, alpha, beta);
  }
}

void linear(const float* x, const float* W, const float* bias, float* y, int64_t M, int64_t K, int64_t N) {
  if (get_cpu_isa() == CpuIsa::scalar) return ref::linear(x, W, bias, y, M, K, N);
  matmul(x, K, W, K, y, N, M, N, K, /*transpose_b=*/true, 1.f, 0.f);
  if (bias) add_bias_rows(y, bias, M, N);
}

void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t C, float eps) {
  const KernelTable& t = table();
#pragma omp parallel for num_threads(threads_for(rows * C)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) t.layer_norm_row(x + r * C, gamma, beta, y + r * C, C, eps);
}

void rms_norm(const float* x, const float* gamma, float* y, int64_t rows, int64_t C, float eps) {
  const KernelTable& t = table();
#pragma omp parallel for num_threads(threads_for(rows * C)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) t.rms_norm_row(x + r * C, gamma, y + r * C, C, eps);
}

void softmax_rows(float* x, int64_t rows, int64_t N) {
  const KernelTable& t = table();
#pragma omp parallel for num_threads(threads_for(rows * N)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) t.softmax_row(x + r * N, N);
}

void gelu(float* x, int64_t n) { map_chunks(table().gelu, x, n); }
void gelu_tanh(float* x, int64_t n) { map_chunks(table().gelu_tanh, x, n); }
void relu(float* x, int64_t n) { map_chunks(table().relu, x, n); }
void tanh_inplace(float* x, int64_t n) { map_chunks(table().tanh, x, n); }
void add_inplace(float* y, const float* x, int64_t n) { combine_chunks(table().add, y, x, n); }
void mul_inplace(float* y, const float* x, int64_t n) { combine_chunks(table().mul, y, x, n); }
void add_bias_rows(float* x, const float* bias, int64_t rows, int64_t N) {
  auto f = table().add;
#pragma omp parallel for num_threads(threads_for(rows * N)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) f(x + r * N, bias, N);
}

void copy_rows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows, int64_t width) {
#pragma omp parallel for num_threads(threads_for(rows * width)) schedule(static)
  for (int64_t r = 0; r < rows; ++r) std::memcpy(dst + r * dst_stride, src + r * src_stride, sizeof(float) * width);
}

void attention(const AttentionArgs& a) { attention_batch(&a, 1); }

void attention_batch(const AttentionArgs* args, int64_t count) {
  const KernelTable& t = table();
  // Work units are (problem, head) pairs; each thread reuses one scratch buffer for its units.
  std::vector<std::pair<int64_t, int64_t>> units;
  int64_t scratch = 0, work = 0;
  for (int64_t i = 0; i < count; ++i) {
    const AttentionArgs& a = args[i];
    if (a.Tq <= 0 || a.H <= 0 || a.D <= 0) continue;
    for (int64_t h = 0; h < a.H; ++h) units.emplace_back(i, h);
    scratch = std::max(scratch, attention_scratch_floats(a));
    work += a.H * a.Tq * std::max<int64_t>(a.Tk, 1) * a.D;
  }
  const int64_t n = static_cast<int64_t>(units.size());
  if (n == 0) return;
  const int nt = static_cast<int>(std::min<int64_t>(n, threads_for(work)));
#pragma omp parallel num_threads(nt)
  {
    // Kept per thread between calls: a long sequence's scores are megabytes, and fresh pages
    // each layer cost more than the softmax over them. Past kKeptScratch floats (4096 keys and
    // more) the buffer is the call's own, so one very long input does not pin it for good.
    thread_local std::vector<float> kept;
    std::vector<float> own;
    float* buf = nullptr;
    if (scratch <= kKeptScratch) {
      if (kept.size() < static_cast<size_t>(scratch)) kept.resize(static_cast<size_t>(scratch));
      buf = kept.data();
    } else {
      own.resize(static_cast<size_t>(scratch));
      buf = own.data();
    }
    // One head at a time: a single long sequence has only H units to share out.
#pragma omp for schedule(dynamic, 1)
    for (int64_t u = 0; u < n; ++u) {
      if (u + 1 < n) prefetch_head(args[units[u + 1].first], units[u + 1].second);
      t.attention_head(args[units[u].first], units[u].second, buf);
    }
  }
}

}  // namespace lmpipe::kernels
