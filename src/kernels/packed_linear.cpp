// PackedLinear: the weights packed once into gemm.h's panel layout (fp32, bf16 pairs, or int8
// quads with per-output-feature scales) and multiplied by this library's micro-kernels.
//
// A forward walks, per thread, its own contiguous range of panels (the threads split N, so each
// streams half the weights): for each block of k-steps, for each panel, the block (32 KB) stays
// in L1 while tiles of rows walk down A, whose block of rows × steps stays in L2. Partial sums
// go through C between blocks; the last block adds the bias and the epilogue.
#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/kernel_table.h"
#include "kernels/kernels.h"
#include "util/error.h"

namespace lmpipe::kernels {

using gemm::kPanel;

namespace {

// A zeroed, cache-line-aligned array of 32-bit words; arrays of 2 MB and more are 2 MB aligned
// and ask for transparent huge pages (fewer TLB misses while a forward streams the weights).
class Words {
 public:
  Words() = default;
  explicit Words(int64_t n) : size_(n) {
    const size_t bytes = static_cast<size_t>(n) * 4, huge = size_t{2} << 20;
    const size_t align = bytes >= huge ? huge : 64;
    void* p = std::aligned_alloc(align, (bytes + align - 1) / align * align);
    if (!p) throw std::bad_alloc();
    if (align == huge) ::madvise(p, bytes, MADV_HUGEPAGE);
    data_.reset(static_cast<uint32_t*>(p));
    std::memset(p, 0, bytes);
  }
  uint32_t* data() const { return data_.get(); }
  int64_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint32_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint32_t[], Free> data_;
  int64_t size_ = 0;
};

constexpr int64_t kStepK[] = {gemm::kF32PerStep, gemm::kBf16PerStep, gemm::kInt8PerStep};
int64_t k_per_step(LinearPrecision p) { return kStepK[static_cast<int>(p)]; }

// Below this many multiply-adds one thread is faster than two.
constexpr int64_t kParallelMacs = int64_t{1} << 18;
// Rows of A per pass over the weights: A's block (rows × 256 steps × 4 bytes = 512 KB) fits L2.
constexpr int64_t kRowBlock = 512;

uint32_t bf16_pair(float lo, float hi) {
  return static_cast<uint32_t>(gemm::to_bf16(lo)) | static_cast<uint32_t>(gemm::to_bf16(hi)) << 16;
}

uint32_t int8_quad(const int8_t q[4]) {
  uint32_t w = 0;
  for (int j = 0; j < 4; ++j) w |= static_cast<uint32_t>(static_cast<uint8_t>(q[j])) << (8 * j);
  return w;
}

// Symmetric int8 of v with scale s (v / s rounded to nearest, ties to even, within ±127).
int8_t quantize(float v, float inv_scale) {
  return static_cast<int8_t>(std::clamp(std::nearbyint(v * inv_scale), -127.f, 127.f));
}

}  // namespace

struct PackedLinear::Impl {
  LinearPrecision precision = LinearPrecision::fp32;
  int64_t N = 0, K = 0;
  gemm::Layout layout;
  Words weights;
  std::vector<float> bias;          // panels · kPanel, zero padded; empty when the layer has none
  std::vector<float> col_scale;     // int8: panels · kPanel
  std::vector<int32_t> col_offset;  // int8: panels · kPanel

  // Packs W(N,K) row-major: panel by panel (in parallel), each panel's rows read in order.
  template <class WordOf>
  void pack(WordOf word_of) {
    const gemm::Layout& L = layout;
#pragma omp parallel for num_threads(num_threads()) schedule(dynamic, 1)
    for (int64_t p = 0; p < L.panels; ++p)
      for (int64_t b = 0; b < L.blocks; ++b) {
        uint32_t* dst = weights.data() + L.offset(b, p);
        const int64_t steps = L.steps_in_block(b), s0 = b * gemm::kBlockSteps;
        for (int64_t l = 0; l < kPanel && p * kPanel + l < N; ++l)
          for (int64_t s = 0; s < steps; ++s) dst[s * kPanel + l] = word_of(p * kPanel + l, s0 + s);
      }
  }
};

const char* precision_name(LinearPrecision precision) {
  switch (precision) {
    case LinearPrecision::fp32: return "float32";
    case LinearPrecision::bf16: return "bfloat16";
    case LinearPrecision::int8: return "int8";
  }
  return "?";
}

PackedLinear::PackedLinear() = default;
PackedLinear::~PackedLinear() = default;
PackedLinear::PackedLinear(PackedLinear&&) noexcept = default;
PackedLinear& PackedLinear::operator=(PackedLinear&&) noexcept = default;

PackedLinear::PackedLinear(const float* W, const float* bias, int64_t out_features, int64_t in_features,
                           LinearPrecision precision)
    : impl_(std::make_unique<Impl>()), in_features_(in_features), out_features_(out_features) {
  if (out_features <= 0 || in_features <= 0)
    throw Error("PackedLinear: weight shape (" + std::to_string(out_features) + ", " + std::to_string(in_features) +
                ") must be positive");
  Impl& p = *impl_;
  const int64_t N = out_features, K = in_features, per_step = k_per_step(precision);
  p.precision = precision;
  p.N = N;
  p.K = K;
  p.layout = gemm::Layout(N, (K + per_step - 1) / per_step);
  p.weights = Words(p.layout.words());
  const int64_t padded = p.layout.panels * kPanel;
  if (bias) {
    p.bias.assign(static_cast<size_t>(padded), 0.f);
    std::copy(bias, bias + N, p.bias.begin());
  }
  auto w = [&](int64_t n, int64_t k) { return k < K ? W[n * K + k] : 0.f; };
  switch (precision) {
    case LinearPrecision::fp32:
      p.pack([&](int64_t n, int64_t s) {
        uint32_t u;
        const float v = W[n * K + s];
        std::memcpy(&u, &v, 4);
        return u;
      });
      break;
    case LinearPrecision::bf16:
      p.pack([&](int64_t n, int64_t s) { return bf16_pair(w(n, 2 * s), w(n, 2 * s + 1)); });
      break;
    case LinearPrecision::int8: {
      p.col_scale.assign(static_cast<size_t>(padded), 0.f);
      p.col_offset.assign(static_cast<size_t>(padded), 0);
      std::vector<float> inv(static_cast<size_t>(N), 0.f);
#pragma omp parallel for num_threads(num_threads()) schedule(static)
      for (int64_t n = 0; n < N; ++n) {
        float max_abs = 0.f;
        for (int64_t k = 0; k < K; ++k) max_abs = std::max(max_abs, std::fabs(W[n * K + k]));
        p.col_scale[n] = max_abs / 127.f;
        inv[n] = max_abs > 0.f ? 127.f / max_abs : 0.f;
        int32_t sum = 0;
        for (int64_t k = 0; k < K; ++k) sum += quantize(W[n * K + k], inv[n]);
        p.col_offset[n] = gemm::kActivationZeroPoint * sum;
      }
      p.pack([&](int64_t n, int64_t s) {
        int8_t q[4];
        for (int j = 0; j < 4; ++j) q[j] = quantize(w(n, 4 * s + j), inv[n]);
        return int8_quad(q);
      });
      break;
    }
  }
}

LinearPrecision PackedLinear::precision() const { return impl_ ? impl_->precision : LinearPrecision::fp32; }

int64_t PackedLinear::bytes() const {
  if (!impl_) return 0;
  const Impl& p = *impl_;
  return 4 * (p.weights.size() + static_cast<int64_t>(p.bias.size() + p.col_scale.size() + p.col_offset.size()));
}

namespace {

// The A operand of one forward: x itself for fp32, else a bf16 or u8 copy (per calling thread).
struct Activations {
  const void* a = nullptr;
  int64_t lda = 0;
  const float* row_scale = nullptr;
};

Activations prepare_activations(LinearPrecision precision, const float* x, int64_t M, int64_t K, int64_t steps,
                                int nt) {
  if (precision == LinearPrecision::fp32) return {x, K, nullptr};
  thread_local std::vector<uint32_t> words;
  thread_local std::vector<float> scales;
  if (words.size() < static_cast<size_t>(M * steps)) words.resize(static_cast<size_t>(M * steps));
  if (scales.size() < static_cast<size_t>(M)) scales.resize(static_cast<size_t>(M));
  uint32_t* out = words.data();
  float* row_scale = scales.data();
  auto at = [&](const float* row, int64_t k) { return k < K ? row[k] : 0.f; };
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t m = 0; m < M; ++m) {
    const float* row = x + m * K;
    uint32_t* dst = out + m * steps;
    if (precision == LinearPrecision::bf16) {
      for (int64_t s = 0; s < steps; ++s) dst[s] = bf16_pair(at(row, 2 * s), at(row, 2 * s + 1));
      continue;
    }
    // int8: symmetric per row, shifted by the zero point into u8 (vpdpbusd's unsigned operand).
    float max_abs = 0.f;
    for (int64_t k = 0; k < K; ++k) max_abs = std::max(max_abs, std::fabs(row[k]));
    const float inv = max_abs > 0.f ? 127.f / max_abs : 0.f;
    row_scale[m] = max_abs / 127.f;
    for (int64_t s = 0; s < steps; ++s) {
      int8_t q[4];
      for (int j = 0; j < 4; ++j)
        q[j] = static_cast<int8_t>(quantize(at(row, 4 * s + j), inv) + gemm::kActivationZeroPoint);
      dst[s] = int8_quad(q);
    }
  }
  return {out, steps, row_scale};
}

void apply_activation(const KernelTable& t, Activation act, float* x, int64_t n) {
  switch (act) {
    case Activation::none: break;
    case Activation::gelu: t.gelu(x, n); break;
    case Activation::gelu_tanh: t.gelu_tanh(x, n); break;
    case Activation::relu: t.relu(x, n); break;
    case Activation::tanh: t.tanh(x, n); break;
  }
}

}  // namespace

void PackedLinear::forward(const float* x, int64_t M, float* y, const LinearEpilogue& epilogue) const {
  if (!impl_) throw Error("PackedLinear::forward: the layer holds no weights (default-constructed)");
  if (M <= 0) return;
  const Impl& p = *impl_;
  const gemm::Layout& L = p.layout;
  const KernelTable& table = kernel_table(get_cpu_isa());
  gemm::TileFn tile = table.gemm_tile_f32;
  int max_rows = table.gemm_rows;
  if (p.precision != LinearPrecision::fp32) {
    const bool fast = p.precision == LinearPrecision::bf16 ? cpu_has_avx512_bf16() : cpu_has_avx512_vnni();
    tile = p.precision == LinearPrecision::bf16 ? (fast ? gemm::avx512_tile_bf16 : gemm::reference_tile_bf16)
                                                : (fast ? gemm::avx512_tile_int8 : gemm::reference_tile_int8);
    max_rows = fast ? gemm::kAvx512TileRows : 4;
  }
  const int nt = static_cast<int>(
      std::min<int64_t>(L.panels, M * p.N * p.K >= kParallelMacs ? num_threads() : 1));
  const Activations act = prepare_activations(p.precision, x, M, p.K, L.steps, nt);
  // Equal row blocks, each a multiple of the tile height, so no pass over the weights is tiny.
  const int64_t row_blocks = (M + kRowBlock - 1) / kRowBlock;
  const int64_t block_rows = ((M + row_blocks - 1) / row_blocks + max_rows - 1) / max_rows * max_rows;
  const uint32_t* a_words = static_cast<const uint32_t*>(act.a);

#pragma omp parallel num_threads(nt)
  {
    // The team may be smaller than nt (a forward called inside another parallel region).
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    const int64_t p0 = L.panels * t / team, p1 = L.panels * (t + 1) / team;
    gemm::Tile tt;
    tt.ldc = p.N;
    tt.lda = act.lda;
    for (int64_t m0 = 0; m0 < M; m0 += block_rows) {
      const int64_t m1 = std::min(M, m0 + block_rows);
      for (int64_t b = 0; b < L.blocks; ++b) {
        tt.steps = L.steps_in_block(b);
        tt.first = b == 0;
        tt.last = b == L.blocks - 1;
        for (int64_t panel = p0; panel < p1; ++panel) {
          const int64_t col = panel * kPanel;
          tt.b = p.weights.data() + L.offset(b, panel);
          tt.cols = static_cast<int>(std::min<int64_t>(kPanel, p.N - col));
          tt.bias = p.bias.empty() ? nullptr : p.bias.data() + col;
          if (p.precision == LinearPrecision::int8) {
            tt.col_scale = p.col_scale.data() + col;
            tt.col_offset = p.col_offset.data() + col;
          }
          for (int64_t m = m0; m < m1; m += max_rows) {
            tt.rows = static_cast<int>(std::min<int64_t>(max_rows, m1 - m));
            tt.a = a_words + m * act.lda + b * gemm::kBlockSteps;
            tt.c = y + m * p.N + col;
            if (act.row_scale) tt.row_scale = act.row_scale + m;
            tile(tt);
            if (!tt.last) continue;
            for (int r = 0; r < tt.rows; ++r) {
              float* out = tt.c + r * p.N;
              apply_activation(table, epilogue.activation, out, tt.cols);
              if (epilogue.residual) table.add(out, epilogue.residual + (m + r) * p.N + col, tt.cols);
            }
          }
        }
      }
    }
  }
}

}  // namespace lmpipe::kernels
