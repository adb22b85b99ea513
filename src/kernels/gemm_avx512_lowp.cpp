// PackedLinear's bf16 (AVX512-BF16 vdpbf16ps) and int8 (AVX512-VNNI vpdpbusd) micro-kernels:
// tiles of up to 12 rows × 32 columns, 24 accumulators, as the fp32 tile in gemm_tile.inc. One
// A word is broadcast per row and k-step (a bf16 pair, or four u8) and multiplies two vectors
// of B words (16 columns each). The target pragma covers only this file's kernels.
#include <immintrin.h>

#include <cstdint>

#include "kernels/gemm.h"

#pragma GCC push_options
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,avx512vnni,fma")

namespace lmpipe::kernels::gemm {
namespace {

__mmask16 lanes(int n) { return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1); }

// bf16: float accumulators, C holds float partial sums.
struct Bf16 {
  using Acc = __m512;
  static Acc zero() { return _mm512_setzero_ps(); }
  static Acc load(const float* c, __mmask16 m) { return _mm512_maskz_loadu_ps(m, c); }
  static Acc step(Acc acc, __m512i x, __m512i w) { return _mm512_dpbf16_ps(acc, (__m512bh)x, (__m512bh)w); }
  static void store_partial(float* c, __mmask16 m, Acc acc) { _mm512_mask_storeu_ps(c, m, acc); }
  static __m512 finish(Acc acc, const Tile&, int, int) { return acc; }
};

// int8: int32 accumulators (u8 activations × s8 weights), C holds int32 partial sums until the
// last block converts them: (sum - col_offset) · (row_scale · col_scale).
struct Int8 {
  using Acc = __m512i;
  static Acc zero() { return _mm512_setzero_si512(); }
  static Acc load(const float* c, __mmask16 m) { return _mm512_maskz_loadu_epi32(m, c); }
  static Acc step(Acc acc, __m512i x, __m512i w) { return _mm512_dpbusd_epi32(acc, x, w); }
  static void store_partial(float* c, __mmask16 m, Acc acc) { _mm512_mask_storeu_epi32(c, m, acc); }
  static __m512 finish(Acc acc, const Tile& t, int r, int col) {
    const __m512 sum = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc, _mm512_loadu_si512(t.col_offset + col)));
    return _mm512_mul_ps(sum, _mm512_mul_ps(_mm512_set1_ps(t.row_scale[r]), _mm512_loadu_ps(t.col_scale + col)));
  }
};

template <class K, int R>
void tile(const Tile& t) {
  const int32_t* a = static_cast<const int32_t*>(t.a);
  const int32_t* b = static_cast<const int32_t*>(t.b);
  const __mmask16 m0 = lanes(t.cols), m1 = lanes(t.cols - 16 > 0 ? t.cols - 16 : 0);
  typename K::Acc acc[R][2];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    acc[r][0] = t.first ? K::zero() : K::load(t.c + r * t.ldc, m0);
    acc[r][1] = t.first ? K::zero() : K::load(t.c + r * t.ldc + 16, m1);
  }
  const int64_t a_step = t.a_step;
  for (int64_t s = 0; s < t.steps; ++s) {
    const __m512i w0 = _mm512_loadu_si512(b + s * kPanel), w1 = _mm512_loadu_si512(b + s * kPanel + 16);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512i x = _mm512_set1_epi32(a[s * a_step + r]);
      acc[r][0] = K::step(acc[r][0], x, w0);
      acc[r][1] = K::step(acc[r][1], x, w1);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const __mmask16 m = h == 0 ? m0 : m1;
      if (!m) continue;
      float* c = t.c + r * t.ldc + 16 * h;
      if (!t.last) {
        K::store_partial(c, m, acc[r][h]);
        continue;
      }
      __m512 out = K::finish(acc[r][h], t, r, 16 * h);
      if (t.bias) out = _mm512_add_ps(out, _mm512_loadu_ps(t.bias + 16 * h));
      if (t.residual) out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(m, t.residual + r * t.ldc + 16 * h));
      _mm512_mask_storeu_ps(c, m, out);
    }
}

template <class K, int R>
void tile_rows(const Tile& t) {
  if constexpr (R > 0) {
    if (t.rows == R) return tile<K, R>(t);
    tile_rows<K, R - 1>(t);
  }
}

}  // namespace

void avx512_tile_bf16(const Tile& t) { tile_rows<Bf16, kAvx512TileRows>(t); }
void avx512_tile_int8(const Tile& t) { tile_rows<Int8, kAvx512TileRows>(t); }

}  // namespace lmpipe::kernels::gemm

#pragma GCC diagnostic pop
#pragma GCC pop_options
