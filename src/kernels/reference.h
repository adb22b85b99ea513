#pragma once
// Scalar reference kernels: plain loops with the exact semantics documented in kernels.h.
// They are the fallback (LMPIPE_ISA=scalar) and the oracle the optimized paths are tested against.
#include <cstdint>

#include "kernels/kernels.h"

namespace lmpipe::kernels::ref {

void linear(const float* x, const float* W, const float* bias, float* y, int64_t M, int64_t K, int64_t N);
void matmul(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
            int64_t M, int64_t N, int64_t K, bool transpose_b, float alpha, float beta);
void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t C, float eps);
void rms_norm(const float* x, const float* gamma, float* y, int64_t rows, int64_t C, float eps);
void softmax_rows(float* x, int64_t rows, int64_t N);
void gelu(float* x, int64_t n);
void gelu_tanh(float* x, int64_t n);
void relu(float* x, int64_t n);
void tanh_inplace(float* x, int64_t n);
void add_inplace(float* y, const float* x, int64_t n);
void mul_inplace(float* y, const float* x, int64_t n);
void add_bias_rows(float* x, const float* bias, int64_t rows, int64_t N);
void attention(const AttentionArgs& args);

}  // namespace lmpipe::kernels::ref
