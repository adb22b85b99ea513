// Scalar micro-kernels over the packed layout (gemm.h): the fallback and the test oracle.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "kernels/gemm.h"

namespace lmpipe::kernels::gemm {

namespace {

uint32_t word(const void* base, int64_t index) {
  uint32_t w;
  std::memcpy(&w, static_cast<const uint32_t*>(base) + index, 4);
  return w;
}

// Runs dot(r, n, acc) for every C element, starting from 0 or from C, then stores.
template <class Acc, class Dot>
void each_element(const Tile& t, Dot dot) {
  for (int r = 0; r < t.rows; ++r)
    for (int n = 0; n < t.cols; ++n) {
      float* c = t.c + r * t.ldc + n;
      Acc acc = 0;
      if (!t.first) std::memcpy(&acc, c, sizeof acc);
      for (int64_t s = 0; s < t.steps; ++s)
        acc = dot(acc, word(t.a, r * t.lda + s), word(t.b, s * kPanel + n));
      float out;
      if constexpr (std::is_integral_v<Acc>) {  // int8: int32 sums
        if (!t.last) {
          std::memcpy(c, &acc, sizeof acc);
          continue;
        }
        out = static_cast<float>(acc - t.col_offset[n]) * (t.row_scale[r] * t.col_scale[n]);
      } else {
        out = acc;
      }
      if (t.last && t.bias) out += t.bias[n];
      if (t.last && t.residual) out += t.residual[r * t.ldc + n];
      *c = out;
    }
}

}  // namespace

void reference_tile_f32(const Tile& t) {
  each_element<float>(t, [](float acc, uint32_t a, uint32_t b) {
    float x, w;
    std::memcpy(&x, &a, 4);
    std::memcpy(&w, &b, 4);
    return acc + x * w;
  });
}

void reference_tile_bf16(const Tile& t) {
  each_element<float>(t, [](float acc, uint32_t a, uint32_t b) {
    const float lo = from_bf16(static_cast<uint16_t>(a)) * from_bf16(static_cast<uint16_t>(b));
    const float hi = from_bf16(static_cast<uint16_t>(a >> 16)) * from_bf16(static_cast<uint16_t>(b >> 16));
    return acc + lo + hi;
  });
}

void reference_tile_int8(const Tile& t) {
  each_element<int32_t>(t, [](int32_t acc, uint32_t a, uint32_t b) {
    for (int j = 0; j < 4; ++j)
      acc += static_cast<int32_t>((a >> (8 * j)) & 0xff) * static_cast<int32_t>(static_cast<int8_t>(b >> (8 * j)));
    return acc;
  });
}

int8_t quantize(float v, float inv_scale) {
  const float r = std::nearbyint(v * inv_scale);
  if (!(r == r)) return 0;  // NaN
  return static_cast<int8_t>(std::clamp(r, -127.f, 127.f));
}

void reference_row_bf16(const float* x, int64_t K, int64_t steps, uint32_t* out) {
  auto at = [&](int64_t k) { return k < K ? x[k] : 0.f; };
  for (int64_t s = 0; s < steps; ++s)
    out[s] = static_cast<uint32_t>(to_bf16(at(2 * s))) | static_cast<uint32_t>(to_bf16(at(2 * s + 1))) << 16;
}

float reference_row_int8(const float* x, int64_t K, int64_t steps, uint32_t* out) {
  float max_abs = 0.f;
  for (int64_t k = 0; k < K; ++k) max_abs = std::max(max_abs, std::fabs(x[k]));
  const float inv = max_abs > 0.f ? 127.f / max_abs : 0.f;
  for (int64_t s = 0; s < steps; ++s) {
    uint32_t w = 0;
    for (int j = 0; j < 4; ++j) {
      const int64_t k = 4 * s + j;
      const int32_t q = (k < K ? quantize(x[k], inv) : 0) + kActivationZeroPoint;
      w |= static_cast<uint32_t>(q) << (8 * j);
    }
    out[s] = w;
  }
  return max_abs / 127.f;
}

}  // namespace lmpipe::kernels::gemm
