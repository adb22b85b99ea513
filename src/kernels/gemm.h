#pragma once
// Internal: PackedLinear's weight layout and the micro-kernel ("tile") each ISA provides.
//
// y(M,N) = x(M,K) · W(N,K)ᵀ runs as C = A · B with B = Wᵀ packed once at load. K is walked in
// k-steps of one 32-bit word per (step, column): fp32 has one k per step, bf16 a pair of k
// (vdpbf16ps sums two products per lane), int8 four k (vpdpbusd sums four). The activations A
// are rows of the same words: the fp32 input itself, or a bf16 / u8 copy made per forward.
//
// B's columns (output features) are cut into panels of kPanel, the tile's width, and its steps
// into blocks of kBlockSteps: one block of one panel (128 KB) stays in L2 while the tiles walk
// down the rows of A. Blocks this long (all of K in most layers) keep each C tile in registers
// for the whole sum; shorter, L1-sized blocks measured 10-15 % slower on Zen 5, the C tiles'
// round trips between blocks costing more than B coming from L2. A is repacked per forward into tiles of the kernel's height: tile t holds
// rows [t·h, t·h + h) step by step, h words per step (one broadcast stream per tile instead of h). Words are stored block by block, then panel by panel, then step by step:
// word (step s, column n) of the packed B is at
//   block_start(s / kBlockSteps) + (n / kPanel) · steps_in_block · kPanel + (s % kBlockSteps) · kPanel + n % kPanel
// so each thread streams its panels' weights front to back. Padding columns and steps are zero.
#include <cstdint>

namespace lmpipe::kernels::gemm {

constexpr int64_t kPanel = 32;
constexpr int64_t kBlockSteps = 1024;
constexpr int64_t kARowStride = kBlockSteps + 16;

// K values per step for each packed type.
constexpr int64_t kF32PerStep = 1, kBf16PerStep = 2, kInt8PerStep = 4;

// Shape of a packed B of N columns and `steps` k-steps.
struct Layout {
  int64_t N = 0, steps = 0, panels = 0, blocks = 0;
  Layout() = default;
  Layout(int64_t n, int64_t k_steps)
      : N(n), steps(k_steps), panels((n + kPanel - 1) / kPanel), blocks((k_steps + kBlockSteps - 1) / kBlockSteps) {}
  int64_t steps_in_block(int64_t block) const {
    const int64_t left = steps - block * kBlockSteps;
    return left < kBlockSteps ? left : kBlockSteps;
  }
  // Word offset of block `block` of panel `panel`.
  int64_t offset(int64_t block, int64_t panel) const {
    return block * kBlockSteps * panels * kPanel + panel * steps_in_block(block) * kPanel;
  }
  int64_t words() const { return panels * kPanel * steps; }
};

// One call of the micro-kernel: C(rows, cols) of one panel block.
//   C (+)= A(rows, steps) · B(steps, kPanel)[:, :cols]
// a: word (step s, row r) at a[r·lda + s] (fp32, bf16 pair or u8 quad); lda is kARowStride in
// the repacked A, which the bf16 and int8 tiles always get; b: the block (steps × kPanel words).
// first: C starts from zero, else from the partial sums in c (floats; int32 for int8).
// last: finish C: int8 converts (sum - col_offset) · row_scale · col_scale; then + bias; then,
// when `residual` is given and there is no activation to apply between, + residual.
struct Tile {
  const void* a = nullptr;
  int64_t lda = kARowStride;
  const void* b = nullptr;
  int64_t steps = 0;
  float* c = nullptr;
  int64_t ldc = 0;
  int rows = 0, cols = 0;
  bool first = true, last = true;
  const float* bias = nullptr;         // kPanel values for this panel, or null
  const float* row_scale = nullptr;    // int8: rows values (the activations' scales)
  const float* col_scale = nullptr;    // int8: kPanel values (the weights' scales)
  const int32_t* col_offset = nullptr; // int8: kPanel values, 128 · Σ_k w (the u8 zero point's share)
  const float* residual = nullptr;     // rows × cols at residual + r·ldc (last only), or null
  // Cache lines to prefetch, one per step from the first (the fp32 tile only): the tile's share of
  // the next panel block, so that it streams in from memory while this one is computed.
  const float* prefetch = nullptr;
  int64_t prefetch_lines = 0;
};
using TileFn = void (*)(const Tile& tile);

// The zero point that makes int8 activations unsigned for vpdpbusd: u8 = s8 + 128.
constexpr int32_t kActivationZeroPoint = 128;

// Scalar tiles: the fallback where the CPU lacks an instruction, and the test oracle.
void reference_tile_f32(const Tile& t);
void reference_tile_bf16(const Tile& t);
void reference_tile_int8(const Tile& t);
// AVX512-BF16 and AVX512-VNNI tiles (rows ≤ kAvx512TileRows); only call where the CPU has them.
constexpr int kAvx512TileRows = 12;
void avx512_tile_bf16(const Tile& t);
void avx512_tile_int8(const Tile& t);

// One row of activations x (K) into A words (steps of them; padding k read as 0):
// bf16 pairs; or u8 quads of round(x / scale) + 128 with scale = max|x| / 127, returned.
void reference_row_bf16(const float* x, int64_t K, int64_t steps, uint32_t* out);
float reference_row_int8(const float* x, int64_t K, int64_t steps, uint32_t* out);
// The same with AVX-512 (BW) instructions; identical results.
void avx512_row_bf16(const float* x, int64_t K, int64_t steps, uint32_t* out);
float avx512_row_int8(const float* x, int64_t K, int64_t steps, uint32_t* out);

// Symmetric int8 of v with inverse scale inv: v · inv rounded to nearest (ties to even), within
// ±127. Both the weights (at load) and the activations use it.
int8_t quantize(float v, float inv_scale);

// fp32 -> bf16, round to nearest even (NaN stays NaN).
inline uint16_t to_bf16(float x) {
  uint32_t u;
  __builtin_memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);
  return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}
inline float from_bf16(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float x;
  __builtin_memcpy(&x, &u, 4);
  return x;
}

}  // namespace lmpipe::kernels::gemm
