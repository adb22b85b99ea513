// Scalar reference kernels: the fallback and the test oracle for every optimized path.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/reference.h"

namespace lmpipe::kernels::ref {

void linear(const float* x, const float* W, const float* bias, float* y, int64_t M, int64_t K, int64_t N) {
#pragma omp parallel for collapse(2) schedule(static) num_threads(num_threads())
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      const float* xr = x + m * K;
      const float* wr = W + n * K;
      float acc = 0.f;
      for (int64_t k = 0; k < K; ++k) acc += xr[k] * wr[k];
      y[m * N + n] = acc + (bias ? bias[n] : 0.f);
    }
}

void matmul(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
            int64_t M, int64_t N, int64_t K, bool transpose_b, float alpha, float beta) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      float acc = 0.f;
      for (int64_t k = 0; k < K; ++k) acc += A[m * lda + k] * (transpose_b ? B[n * ldb + k] : B[k * ldb + n]);
      float& c = C[m * ldc + n];
      c = alpha * acc + (beta == 0.f ? 0.f : beta * c);
    }
}

void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t C, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    double mean = 0, var = 0;
    for (int64_t c = 0; c < C; ++c) mean += xr[c];
    mean /= C;
    for (int64_t c = 0; c < C; ++c) var += (xr[c] - mean) * (xr[c] - mean);
    var /= C;
    float inv = 1.0f / std::sqrt(static_cast<float>(var) + eps);
    for (int64_t c = 0; c < C; ++c)
      yr[c] = (xr[c] - static_cast<float>(mean)) * inv * (gamma ? gamma[c] : 1.f) + (beta ? beta[c] : 0.f);
  }
}

void rms_norm(const float* x, const float* gamma, float* y, int64_t rows, int64_t C, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    double ss = 0;
    for (int64_t c = 0; c < C; ++c) ss += double(xr[c]) * xr[c];
    float inv = 1.0f / std::sqrt(static_cast<float>(ss / C) + eps);
    for (int64_t c = 0; c < C; ++c) yr[c] = xr[c] * inv * gamma[c];
  }
}

void softmax_rows(float* x, int64_t rows, int64_t N) {
  for (int64_t r = 0; r < rows; ++r) {
    float* xr = x + r * N;
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < N; ++i) mx = std::max(mx, xr[i]);
    if (mx == -std::numeric_limits<float>::infinity()) {
      std::fill(xr, xr + N, 0.f);
      continue;
    }
    float sum = 0.f;
    for (int64_t i = 0; i < N; ++i) sum += (xr[i] = std::exp(xr[i] - mx));
    for (int64_t i = 0; i < N; ++i) xr[i] /= sum;
  }
}

void gelu(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::erf(x[i] * 0.70710678118654752f));
}
void gelu_tanh(float* x, int64_t n) {
  const float k = 0.7978845608028654f;  // sqrt(2/pi)
  for (int64_t i = 0; i < n; ++i) x[i] = 0.5f * x[i] * (1.0f + std::tanh(k * (x[i] + 0.044715f * x[i] * x[i] * x[i])));
}
void relu(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.f);
}
void tanh_inplace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
}
void add_inplace(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}
void mul_inplace(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] *= x[i];
}
void add_bias_rows(float* x, const float* bias, int64_t rows, int64_t N) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < N; ++i) x[r * N + i] += bias[i];
}

void attention(const AttentionArgs& a) {
  std::vector<float> scores(static_cast<size_t>(a.Tk));
  for (int64_t h = 0; h < a.H; ++h)
    for (int64_t i = 0; i < a.Tq; ++i) {
      const float* qi = a.q + i * a.q_stride + h * a.D;
      for (int64_t j = 0; j < a.Tk; ++j) {
        const float* kj = a.k + j * a.k_stride + h * a.D;
        float s = 0.f;
        for (int64_t d = 0; d < a.D; ++d) s += qi[d] * kj[d];
        s *= a.scale;
        if (a.score_bias) s += a.score_bias[(h * a.Tq + i) * a.Tk + j];
        if (a.key_bias) s += a.key_bias[j];
        if (a.causal && j > i + (a.Tk - a.Tq)) s = -std::numeric_limits<float>::infinity();
        scores[j] = s;
      }
      softmax_rows(scores.data(), 1, a.Tk);
      float* oi = a.out + i * a.out_stride + h * a.D;
      for (int64_t d = 0; d < a.D; ++d) oi[d] = 0.f;
      for (int64_t j = 0; j < a.Tk; ++j) {
        const float* vj = a.v + j * a.v_stride + h * a.D;
        for (int64_t d = 0; d < a.D; ++d) oi[d] += scores[j] * vj[d];
      }
    }
}

}  // namespace lmpipe::kernels::ref
