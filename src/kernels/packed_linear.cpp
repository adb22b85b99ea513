// PackedLinear: W is reordered once into oneDNN's blocked weights layout; one matmul primitive
// per distinct row count M is created lazily and cached. Measured on the Zen 5 CI machine for
// a 1024x1024 layer: the first creation for a shape costs 0.2-2 ms (JIT), a re-creation that
// hits oneDNN's own primitive cache ~2 µs, a lookup here well under 1 µs; a forward at M=32
// takes ~0.2 ms, so caching keeps the overhead negligible even for single-token steps.
// The primitives use a scratchpad the caller passes (onednn.h's thread_scratchpad): with the
// library's own, one primitive run from two threads at once gives wrong results.
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
  dt act = dt::f32;  // activation/weight type fed to the matmul (f32 or bf16)
  dnnl::memory::desc weights_md;
  dnnl::memory weights, bias;  // bias is empty when the layer has none

  // Per row count: the matmul and, for bf16, the f32 -> bf16 reorder of the input.
  struct Prims {
    dnnl::matmul matmul;
    dnnl::reorder to_act;
  };
  mutable std::mutex mutex;
  mutable std::unordered_map<int64_t, Prims> by_rows;

  dnnl::matmul::desc desc(int64_t M, const dnnl::memory::desc& w) const {
    dnnl::memory::desc src({M, K}, act, tag::ab), dst({M, N}, dt::f32, tag::ab);
    if (bias) return dnnl::matmul::desc(src, w, dnnl::memory::desc({1, N}, dt::f32, tag::ab), dst);
    return dnnl::matmul::desc(src, w, dst);
  }

  // A copy of the cached handles: another thread may evict the entry while this one runs it.
  Prims primitives(int64_t M) const {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = by_rows.find(M);
    if (it != by_rows.end()) return it->second;
    // Sequence lengths vary per batch; bound the cache instead of growing without limit.
    if (by_rows.size() >= 64) by_rows.clear();
    const dnnl::engine& eng = dnnl_engine();
    const dnnl::primitive_attr attr = user_scratchpad_attr();
    Prims p{dnnl::matmul(dnnl::matmul::primitive_desc(desc(M, weights_md), attr, eng)), {}};
    if (act != dt::f32)
      p.to_act = dnnl::reorder(dnnl::reorder::primitive_desc(eng, dnnl::memory::desc({M, K}, dt::f32, tag::ab), eng,
                                                             dnnl::memory::desc({M, K}, act, tag::ab), attr));
    return by_rows.emplace(M, p).first->second;
  }
};

PackedLinear::PackedLinear() = default;
PackedLinear::~PackedLinear() = default;
PackedLinear::PackedLinear(PackedLinear&&) noexcept = default;
PackedLinear& PackedLinear::operator=(PackedLinear&&) noexcept = default;

PackedLinear::PackedLinear(const float* W, const float* bias, int64_t out_features, int64_t in_features)
    : PackedLinear(W, bias, out_features, in_features, LinearPrecision::fp32) {}

PackedLinear::PackedLinear(const float* W, const float* bias, int64_t out_features, int64_t in_features,
                           LinearPrecision precision)
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
  // Let oneDNN choose the layout for a typical row count; the layout depends on N, K, the type
  // and the ISA, not on M, and every later M is created against this same layout.
  auto choose = [&](dt type) {
    p.act = type;
    return dnnl::matmul::primitive_desc(p.desc(128, dnnl::memory::desc({p.K, p.N}, type, tag::any)), eng);
  };
  dnnl::matmul::primitive_desc pd;
  if (precision == LinearPrecision::bf16) {
    try {
      pd = choose(dt::bf16);
      // oneDNN also offers slow reference bf16 kernels; only take a JIT-compiled one.
      if (std::string(pd.impl_info_str()).find("ref") != std::string::npos) pd = {};
    } catch (const dnnl::error&) {
      pd = {};
    }
  }
  if (!pd) pd = choose(dt::f32);
  p.weights_md = pd.weights_desc();
  p.weights = dnnl::memory(p.weights_md, eng);
  // W(N,K) row-major is the (K,N) matrix in column-major order ("ba").
  dnnl::memory src(dnnl::memory::desc({p.K, p.N}, dt::f32, tag::ba), eng, const_cast<float*>(W));
  dnnl::reorder(src, p.weights).execute(s, src, p.weights);
  s.wait();
}

LinearPrecision PackedLinear::precision() const {
  return impl_ && impl_->act == dt::bf16 ? LinearPrecision::bf16 : LinearPrecision::fp32;
}

void PackedLinear::forward(const float* x, int64_t M, float* y) const {
  if (!impl_) throw Error("PackedLinear::forward: the layer holds no weights (default-constructed)");
  if (M <= 0) return;
  const Impl& p = *impl_;
  Impl::Prims prims = p.primitives(M);
  const dnnl::engine& eng = dnnl_engine();
  dnnl::stream& s = dnnl_stream();
  dnnl::memory src(dnnl::memory::desc({M, p.K}, dt::f32, tag::ab), eng, const_cast<float*>(x));
  dnnl::memory dst(dnnl::memory::desc({M, p.N}, dt::f32, tag::ab), eng, y);
  if (p.act != dt::f32) {
    dnnl::memory converted(dnnl::memory::desc({M, p.K}, p.act, tag::ab), eng);
    prims.to_act.execute(s, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, converted}, {DNNL_ARG_SCRATCHPAD, thread_scratchpad(prims.to_act)}});
    src = converted;
  }
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, dst},
                                             {DNNL_ARG_SCRATCHPAD, thread_scratchpad(prims.matmul)}};
  if (p.bias) args.emplace(DNNL_ARG_BIAS, p.bias);
  prims.matmul.execute(s, args);
  s.wait();
}

}  // namespace lmpipe::kernels
