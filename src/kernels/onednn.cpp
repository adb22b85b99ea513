// oneDNN plumbing shared by PackedLinear and the large-matmul path.
#include "kernels/onednn.h"

#include <cstddef>
#include <vector>

#include "kernels/isa.h"
#include "kernels/threads.h"

namespace lmpipe::kernels {

const dnnl::engine& dnnl_engine() {
  static const dnnl::engine engine = [] {
    // oneDNN has its own JIT dispatch; keep it at or below the ISA our kernels run with, so
    // LMPIPE_ISA=avx2 behaves like an AVX2 machine end to end. (Allowed once, before first use.)
    // If another component of the process used oneDNN first, the cap is refused; it only
    // affects speed, so carry on uncapped.
    try {
      switch (get_cpu_isa()) {
        case CpuIsa::scalar: dnnl::set_max_cpu_isa(dnnl::cpu_isa::sse41); break;
        case CpuIsa::avx2: dnnl::set_max_cpu_isa(dnnl::cpu_isa::avx2); break;
        case CpuIsa::avx512: break;
      }
    } catch (const dnnl::error&) {
    }
    return dnnl::engine(dnnl::engine::kind::cpu, 0);
  }();
  return engine;
}

dnnl::stream& dnnl_stream() {
  thread_local dnnl::stream stream(dnnl_engine());
  sync_omp_threads();
  return stream;
}

dnnl::primitive_attr user_scratchpad_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::memory thread_scratchpad(const dnnl::primitive& primitive) {
  thread_local std::vector<std::byte> buffer;
  const dnnl_memory_desc_t* c_md =
      dnnl_primitive_desc_query_md(primitive.get_primitive_desc(), dnnl_query_scratchpad_md, 0);
  const dnnl::memory::desc md = c_md ? dnnl::memory::desc(*c_md) : dnnl::memory::desc();
  if (buffer.size() < md.get_size()) buffer.resize(md.get_size());
  return dnnl::memory(md, dnnl_engine(), buffer.data());
}

void dnnl_matmul(const float* A, int64_t lda, const float* B, int64_t ldb, float* C, int64_t ldc,
                 int64_t M, int64_t N, int64_t K, bool transpose_b, float alpha, float beta) {
  using dt = dnnl::memory::data_type;
  const dnnl::engine& eng = dnnl_engine();
  dnnl::memory::desc a_md({M, K}, dt::f32, {lda, 1});
  dnnl::memory::desc b_md({K, N}, dt::f32, transpose_b ? dnnl::memory::dims{1, ldb} : dnnl::memory::dims{ldb, 1});
  dnnl::memory::desc c_md({M, N}, dt::f32, {ldc, 1});
  dnnl::primitive_attr attr = user_scratchpad_attr();
  if (alpha != 1.f) attr.set_output_scales(0, {alpha});
  if (beta != 0.f) {
    dnnl::post_ops ops;
    ops.append_sum(beta);
    attr.set_post_ops(ops);
  }
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), attr, eng);
  dnnl::matmul prim(pd);
  dnnl::memory a(a_md, eng, const_cast<float*>(A)), b(b_md, eng, const_cast<float*>(B)), c(c_md, eng, C);
  dnnl::stream& s = dnnl_stream();
  prim.execute(s, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}, {DNNL_ARG_SCRATCHPAD, thread_scratchpad(prim)}});
  s.wait();
}

}  // namespace lmpipe::kernels
