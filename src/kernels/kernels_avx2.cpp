// simd_kernels.inc compiled for AVX2 + FMA: 8 fp32 lanes, tails through mask loads/stores.
// The target pragma covers only this ISA-private code; standard headers come before it so no
// shared inline function is emitted with AVX2 instructions.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels/kernel_table.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma")

namespace lmpipe::kernels::avx2 {
namespace {

struct V {
  static constexpr int W = 8;
  using Mask = __m256;
  __m256 v;

  static __m256i lanes_below(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V load(const float* p) { return {_mm256_loadu_ps(p)}; }
  static V load_partial(const float* p, int n, float fill) {
    __m256i m = lanes_below(n);
    return {_mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m))};
  }
  // Lanes i < n read p[i·stride] (stride in elements, i·stride must fit in int32); others are 0.
  static V gather_partial(const float* p, int64_t stride, int n) {
    __m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(static_cast<int>(stride)));
    return {_mm256_mask_i32gather_ps(_mm256_setzero_ps(), p, idx, _mm256_castsi256_ps(lanes_below(n)), 4)};
  }
  // dst row c (8 floats, rows ld_dst apart) = column c of the rows × cols block at src (rows
  // ld_src apart), for c < cols; rows past `rows` read as 0 (shuffles, not gathers).
  static void transpose(const float* src, int64_t ld_src, int rows, int cols, float* dst, int64_t ld_dst) {
    const __m256i m = lanes_below(cols);
    __m256 r[8], t[8];
    for (int i = 0; i < 8; ++i) r[i] = i < rows ? _mm256_maskload_ps(src + i * ld_src, m) : _mm256_setzero_ps();
    for (int i = 0; i < 4; ++i) {
      t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    // u[4g + k] lane L holds column 4L + k of rows 4g..4g+3.
    for (int g = 0; g < 2; ++g) {
      r[4 * g] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
      r[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
      r[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
      r[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
    }
    for (int k = 0; k < 4; ++k) {
      t[k] = _mm256_permute2f128_ps(r[k], r[4 + k], 0x20);
      t[4 + k] = _mm256_permute2f128_ps(r[k], r[4 + k], 0x31);
    }
    for (int c = 0; c < cols; ++c) _mm256_storeu_ps(dst + c * ld_dst, t[c]);
  }
  void store(float* p) const { _mm256_storeu_ps(p, v); }
  void store_partial(float* p, int n) const { _mm256_maskstore_ps(p, lanes_below(n), v); }
  static V set1(float x) { return {_mm256_set1_ps(x)}; }
  static V iota() { return {_mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7)}; }
  static V fma(V a, V b, V c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
  static V min(V a, V b) { return {_mm256_min_ps(a.v, b.v)}; }
  static V max(V a, V b) { return {_mm256_max_ps(a.v, b.v)}; }
  static V abs(V a) { return {_mm256_andnot_ps(_mm256_set1_ps(-0.f), a.v)}; }
  static V round(V a) { return {_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
  // n is integral and within [-126, 127] (vexp clamps its input), so 2ⁿ is a normal float.
  static V pow2n(V p, V n) {
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n.v), _mm256_set1_epi32(127)), 23);
    return {_mm256_mul_ps(p.v, _mm256_castsi256_ps(e))};
  }
  static constexpr bool kLookup32 = false;  // a 32-entry lookup would take gathers
  static Mask less(V a, V b) { return _mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ); }
  static V select(Mask m, V t, V f) { return {_mm256_blendv_ps(f.v, t.v, m)}; }
  float reduce_add() const {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  float reduce_max() const {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};
// Free operators: GCC does not apply the target pragma to friends defined in the class.
inline V operator+(V a, V b) { return {_mm256_add_ps(a.v, b.v)}; }
inline V operator-(V a, V b) { return {_mm256_sub_ps(a.v, b.v)}; }
inline V operator*(V a, V b) { return {_mm256_mul_ps(a.v, b.v)}; }
inline V operator/(V a, V b) { return {_mm256_div_ps(a.v, b.v)}; }

#include "kernels/gemm_tile.inc"
#include "kernels/simd_kernels.inc"

}  // namespace
}  // namespace lmpipe::kernels::avx2

namespace lmpipe::kernels {
const KernelTable kAvx2Kernels = avx2::kTable;
}

#pragma GCC pop_options
