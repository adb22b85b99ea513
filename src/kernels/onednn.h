#pragma once
// Internal: the process-wide oneDNN CPU engine, capped to the ISA LMPIPE_ISA selected.
#include <dnnl.hpp>

namespace lmpipe::kernels {

const dnnl::engine& dnnl_engine();
// A stream for the calling thread; also syncs the OpenMP team size with num_threads().
dnnl::stream& dnnl_stream();

// Primitives we run take their scratchpad from the caller (thread_scratchpad), so one primitive
// may run in several threads at once; the library-managed one is shared per primitive, which
// gives wrong results when the same primitive runs concurrently.
dnnl::primitive_attr user_scratchpad_attr();
// A scratchpad for `primitive` in a buffer owned by the calling thread (grown as needed).
dnnl::memory thread_scratchpad(const dnnl::primitive& primitive);

// Runs a GEMM through oneDNN: C = alpha·A·op(B) + beta·C with arbitrary row strides.
// oneDNN's primitive cache makes repeated shapes cheap to recreate.
void dnnl_matmul(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
                 int64_t M, int64_t N, int64_t K, bool transpose_b, float alpha, float beta);

}  // namespace lmpipe::kernels
