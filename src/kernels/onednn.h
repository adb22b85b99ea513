#pragma once
// Internal: the process-wide oneDNN CPU engine, capped to the ISA LMPIPE_ISA selected.
#include <dnnl.hpp>

namespace lmpipe::kernels {

const dnnl::engine& dnnl_engine();
// A stream for the calling thread; also syncs the OpenMP team size with num_threads().
dnnl::stream& dnnl_stream();

// Runs a GEMM through oneDNN: C = alpha·A·op(B) + beta·C with arbitrary row strides.
// oneDNN's primitive cache makes repeated shapes cheap to recreate.
void dnnl_matmul(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
                 int64_t M, int64_t N, int64_t K, bool transpose_b, float alpha, float beta);

}  // namespace lmpipe::kernels
