// simd_kernels.inc compiled for AVX-512 (F, BW, DQ, VL): 16 fp32 lanes with mask registers.
// The target pragma covers only this ISA-private code; standard headers come before it so no
// shared inline function is emitted with AVX-512 instructions.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels/kernel_table.h"

#pragma GCC push_options
// GCC 12 flags the deliberately undefined pass-through operand of its own AVX-512 intrinsics.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")

namespace lmpipe::kernels::avx512 {
namespace {

struct V {
  static constexpr int W = 16;
  using Mask = __mmask16;
  __m512 v;

  static V load(const float* p) { return {_mm512_loadu_ps(p)}; }
  static V load_partial(const float* p, int n, float fill) {
    return {_mm512_mask_loadu_ps(_mm512_set1_ps(fill), static_cast<__mmask16>((1u << n) - 1), p)};
  }
  // Lanes i < n read p[i·stride] (stride in elements, i·stride must fit in int32); others are 0.
  static V gather_partial(const float* p, int64_t stride, int n) {
    __m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                     _mm512_set1_epi32(static_cast<int>(stride)));
    return {_mm512_mask_i32gather_ps(_mm512_setzero_ps(), static_cast<__mmask16>((1u << n) - 1), idx, p, 4)};
  }
  // dst row c (16 floats, rows ld_dst apart) = column c of the rows × cols block at src (rows
  // ld_src apart), for c < cols; rows past `rows` read as 0. Shuffles, not gathers: the keys'
  // transpose in attention was nine tenths of its own time with gathers.
  static void transpose(const float* src, int64_t ld_src, int rows, int cols, float* dst, int64_t ld_dst) {
    const __mmask16 m = static_cast<__mmask16>((1u << cols) - 1);
    __m512 r[16], t[16];
    for (int i = 0; i < 16; ++i) r[i] = i < rows ? _mm512_maskz_loadu_ps(m, src + i * ld_src) : _mm512_setzero_ps();
    // Pairs of rows interleaved, then quads, within each 128-bit lane: u[4g + k] lane L holds
    // column 4L + k of rows 4g..4g+3.
    for (int i = 0; i < 8; ++i) {
      t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
      t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int g = 0; g < 4; ++g) {
      r[4 * g] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
      r[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
      r[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
      r[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
    }
    // Lanes gathered across the four row quads: column 4L + k.
    for (int k = 0; k < 4; ++k) {
      const __m512 va = _mm512_shuffle_f32x4(r[k], r[4 + k], 0x88), vb = _mm512_shuffle_f32x4(r[k], r[4 + k], 0xDD);
      const __m512 wa = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0x88), wb = _mm512_shuffle_f32x4(r[8 + k], r[12 + k], 0xDD);
      t[k] = _mm512_shuffle_f32x4(va, wa, 0x88);
      t[4 + k] = _mm512_shuffle_f32x4(vb, wb, 0x88);
      t[8 + k] = _mm512_shuffle_f32x4(va, wa, 0xDD);
      t[12 + k] = _mm512_shuffle_f32x4(vb, wb, 0xDD);
    }
    for (int c = 0; c < cols; ++c) _mm512_storeu_ps(dst + c * ld_dst, t[c]);
  }
  void store(float* p) const { _mm512_storeu_ps(p, v); }
  void store_partial(float* p, int n) const { _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v); }
  static V set1(float x) { return {_mm512_set1_ps(x)}; }
  static V iota() {
    return {_mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)};
  }
  static V fma(V a, V b, V c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
  static V min(V a, V b) { return {_mm512_min_ps(a.v, b.v)}; }
  static V max(V a, V b) { return {_mm512_max_ps(a.v, b.v)}; }
  static V abs(V a) { return {_mm512_abs_ps(a.v)}; }
  static V round(V a) { return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
  static V pow2n(V p, V n) { return {_mm512_scalef_ps(p.v, n.v)}; }
  static V floor(V a) { return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)}; }
  // table[i] in each lane for integral i in [0, 32): one two-register permute.
  static constexpr bool kLookup32 = true;
  static V lookup32(const float* table, V i) {
    return {_mm512_permutex2var_ps(_mm512_load_ps(table), _mm512_cvttps_epi32(i.v), _mm512_load_ps(table + 16))};
  }
  static Mask less(V a, V b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ); }
  static V select(Mask m, V t, V f) { return {_mm512_mask_blend_ps(m, f.v, t.v)}; }
  float reduce_add() const { return _mm512_reduce_add_ps(v); }
  float reduce_max() const { return _mm512_reduce_max_ps(v); }
};
// Free operators: GCC does not apply the target pragma to friends defined in the class.
inline V operator+(V a, V b) { return {_mm512_add_ps(a.v, b.v)}; }
inline V operator-(V a, V b) { return {_mm512_sub_ps(a.v, b.v)}; }
inline V operator*(V a, V b) { return {_mm512_mul_ps(a.v, b.v)}; }
inline V operator/(V a, V b) { return {_mm512_div_ps(a.v, b.v)}; }

#include "kernels/gemm_tile.inc"
#include "kernels/simd_kernels.inc"

}  // namespace
}  // namespace lmpipe::kernels::avx512

namespace lmpipe::kernels {
const KernelTable kAvx512Kernels = avx512::kTable;
}

#pragma GCC diagnostic pop
#pragma GCC pop_options
