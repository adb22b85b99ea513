// PackedLinear: W is reordered once into oneDNN's blocked weights layout; one matmul primitive
// per distinct row count M is created lazily and cached (creation costs ~0.2 ms, a run of a
// bart-large projection at M=32 ~0.2 ms too, so re-creating per call would double the cost).
#include <dnnl.hpp>

#include <mutex>
#include <unordered_map>

#include "kernels/kernels.h"
#include "kernels/onednn.h"
#include "util/error.h"

namespace lmpipe::kernels {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

struct PackedLinear::Impl {
  int64_t N = 0, K = 0;
  dnnl::memory::desc weights_md;
  dnnl::memory weights, bias;  // bias is empty when the layer has none
  mutable std::mutex mutex;
  mutable std::unordered_map<int64_t, dnnl::matmul> by_rows;

  dnnl::matmul::desc desc(int64_t M, const dnnl::memory::desc& w) const {
    dnnl::memory::desc src({M, K}, dt::f32, tag::ab), dst({M, N}, dt::f32, tag::ab);
    if (bias) return dnnl::matmul::desc(src, w, dnnl::memory::desc({1, N}, dt::f32, tag::ab), dst);
    return dnnl::matmul::desc(src, w, dst);
  }

  // A copy of the cached handle: another thread may evict the entry while this one runs it.
  dnnl::matmul primitive(int64_t M) const {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = by_rows.find(M);
    if (it != by_rows.end()) return it->second;
    // Sequence lengths vary per batch; bound the cache instead of growing without limit.
    if (by_rows.size() >= 64) by_rows.clear();
    dnnl::matmul::primitive_desc pd(desc(M, weights_md), dnnl_engine());
    return by_rows.emplace(M, dnnl::matmul(pd)).first->second;
  }
};

PackedLinear::PackedLinear() = default;
PackedLinear::~PackedLinear() = default;
PackedLinear::PackedLinear(PackedLinear&&) noexcept = default;
PackedLinear& PackedLinear::operator=(PackedLinear&&) noexcept = default;

PackedLinear::PackedLinear(const float* W, const float* bias, int64_t out_features, int64_t in_features)
    : impl_(std::make_unique<Impl>()), in_features_(in_features), out_features_(out_features) {
  if (out_features <= 0 || in_features <= 0)
    throw Error("PackedLinear: weight shape (" + std::to_string(out_features) + ", " + std::to_string(in_features) +
                ") must be positive");
  Impl& p = *impl_;
  p.N = out_features;
  p.K = in_features;
  const dnnl::engine& eng = dnnl_engine();
  dnnl::stream& s = dnnl_stream();
  if (bias) {
    dnnl::memory::desc bias_md({1, p.N}, dt::f32, tag::ab);
    dnnl::memory user(bias_md, eng, const_cast<float*>(bias));
    p.bias = dnnl::memory(bias_md, eng);
    dnnl::reorder(user, p.bias).execute(s, user, p.bias);
  }
  // Let oneDNN choose the layout for a typical row count; the layout depends on N, K and the ISA,
  // and every later M is created against this same layout.
  dnnl::memory::desc any_w({p.K, p.N}, dt::f32, tag::any);
  dnnl::matmul::primitive_desc pd(p.desc(128, any_w), eng);
  p.weights_md = pd.weights_desc();
  p.weights = dnnl::memory(p.weights_md, eng);
  // W(N,K) row-major is the (K,N) matrix in column-major order ("ba").
  dnnl::memory src(dnnl::memory::desc({p.K, p.N}, dt::f32, tag::ba), eng, const_cast<float*>(W));
  dnnl::reorder(src, p.weights).execute(s, src, p.weights);
  s.wait();
}

void PackedLinear::forward(const float* x, int64_t M, float* y) const {
  if (!impl_) throw Error("PackedLinear::forward: the layer holds no weights (default-constructed)");
  if (M <= 0) return;
  const Impl& p = *impl_;
  dnnl::matmul prim = p.primitive(M);
  const dnnl::engine& eng = dnnl_engine();
  dnnl::memory src(dnnl::memory::desc({M, p.K}, dt::f32, tag::ab), eng, const_cast<float*>(x));
  dnnl::memory dst(dnnl::memory::desc({M, p.N}, dt::f32, tag::ab), eng, y);
  dnnl::stream& s = dnnl_stream();
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, dst}};
  if (p.bias) args.emplace(DNNL_ARG_BIAS, p.bias);
  prim.execute(s, args);
  s.wait();
}

}  // namespace lmpipe::kernels
