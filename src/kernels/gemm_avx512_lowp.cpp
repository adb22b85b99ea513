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
  for (int64_t s = 0; s < t.steps; ++s) {
    const __m512i w0 = _mm512_loadu_si512(b + s * kPanel), w1 = _mm512_loadu_si512(b + s * kPanel + 16);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512i x = _mm512_set1_epi32(a[r * kARowStride + s]);
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

namespace {
// to_bf16 on 16 lanes: round to nearest even, NaN kept quiet; bf16 bits in each lane's low half.
__m512i bf16_bits(__m512 v) {
  const __m512i u = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
  const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
  return _mm512_mask_or_epi32(rounded, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
}

// Lanes of x[k0 + i] for k0 + i < K, else 0.
__m512 load_below(const float* x, int64_t k0, int64_t K) {
  const int64_t left = K - k0;
  if (left >= 16) return _mm512_loadu_ps(x + k0);
  return _mm512_maskz_loadu_ps(lanes(left > 0 ? static_cast<int>(left) : 0), x + k0);
}
}  // namespace

void avx512_row_bf16(const float* x, int64_t K, int64_t steps, uint32_t* out) {
  // 32 values (16 words) at a time: bf16 of each lane, narrowed to 16 bits, in order.
  auto words = [&](__m512 lo, __m512 hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(bf16_bits(lo))),
                              _mm512_cvtepi32_epi16(bf16_bits(hi)), 1);
  };
  int64_t s = 0;
  for (; s + 16 <= steps && 2 * s + 32 <= K; s += 16)
    _mm512_storeu_si512(out + s, words(_mm512_loadu_ps(x + 2 * s), _mm512_loadu_ps(x + 2 * s + 16)));
  for (; s < steps; s += 16)
    _mm512_mask_storeu_epi32(out + s, lanes(static_cast<int>(steps - s)),
                             words(load_below(x, 2 * s, K), load_below(x, 2 * s + 16, K)));
}

float avx512_row_int8(const float* x, int64_t K, int64_t steps, uint32_t* out) {
  // max |x| (NaN ignored: max_ps returns its second operand when one is NaN)
  __m512 m0 = _mm512_setzero_ps(), m1 = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 32 <= K; k += 32) {
    m0 = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + k)), m0);
    m1 = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(x + k + 16)), m1);
  }
  for (; k < K; k += 16) m0 = _mm512_max_ps(_mm512_abs_ps(load_below(x, k, K)), m0);
  const float m = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
  const __m512 inv = _mm512_set1_ps(m > 0.f ? 127.f / m : 0.f);
  // round(x · inv) within ±127 (NaN as 0), + 128, as bytes: 16 values -> 4 words.
  auto quads = [&](__m512 v) {
    v = _mm512_mul_ps(v, inv);
    v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v);
    const __m512i q = _mm512_cvtps_epi32(_mm512_max_ps(_mm512_set1_ps(-127.f), _mm512_min_ps(_mm512_set1_ps(127.f), v)));
    return _mm512_cvtepi32_epi8(_mm512_add_epi32(q, _mm512_set1_epi32(kActivationZeroPoint)));
  };
  int64_t s = 0;
  for (; s + 16 <= steps && 4 * s + 64 <= K; s += 16) {  // 64 values -> 16 words, one store
    const __m512i w = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_inserti128_si256(_mm256_castsi128_si256(quads(_mm512_loadu_ps(x + 4 * s))),
                                                       quads(_mm512_loadu_ps(x + 4 * s + 16)), 1)),
        _mm256_inserti128_si256(_mm256_castsi128_si256(quads(_mm512_loadu_ps(x + 4 * s + 32))),
                                quads(_mm512_loadu_ps(x + 4 * s + 48)), 1),
        1);
    _mm512_storeu_si512(out + s, w);
  }
  for (; s < steps; s += 4)
    _mm_mask_storeu_epi32(out + s, static_cast<__mmask8>(lanes(static_cast<int>(steps - s > 4 ? 4 : steps - s))),
                          quads(load_below(x, 4 * s, K)));
  return m / 127.f;
}

}  // namespace lmpipe::kernels::gemm

#pragma GCC diagnostic pop
#pragma GCC pop_options
