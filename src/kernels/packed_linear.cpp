// PackedLinear: the weights packed once into gemm.h's panel layout (fp32, bf16 pairs, or int8
// quads with per-output-feature scales) and multiplied by this library's micro-kernels.
//
// A forward walks, per thread, its own contiguous range of panels (the threads split N, so each
// streams half the weights): for each block of k-steps, for each panel, the block (128 KB) stays
// in L2 while tiles of rows walk down A. Partial sums go through C between blocks (only where K
// exceeds a block); the last block adds the bias and the epilogue.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/kernel_table.h"
#include "kernels/kernels.h"
#include "tensor/aligned.h"
#include "util/error.h"

namespace lmpipe::kernels {

using gemm::kPanel;

namespace {

// An array of 32-bit words, uninitialized, on huge pages from 2 MB on (tensor/aligned.h: fewer TLB
// misses while a forward streams the weights).
struct FreeWords {
  int64_t n = 0;
  void operator()(uint32_t* p) const { free_aligned(p, static_cast<size_t>(n) * 4); }
};

class Words {
 public:
  Words() = default;
  explicit Words(int64_t n)
      : size_(n), data_(static_cast<uint32_t*>(allocate_aligned(static_cast<size_t>(n) * 4)), FreeWords{n}) {}
  uint32_t* data() const { return data_.get(); }
  int64_t size() const { return size_; }

 private:
  int64_t size_ = 0;
  std::unique_ptr<uint32_t[], FreeWords> data_;
};

constexpr int64_t kStepK[] = {gemm::kF32PerStep, gemm::kBf16PerStep, gemm::kInt8PerStep};
int64_t k_per_step(LinearPrecision p) { return kStepK[static_cast<int>(p)]; }

// Below this many multiply-adds one thread is faster than two.
constexpr int64_t kParallelMacs = int64_t{1} << 18;
// Rows of A per pass over the weights: more re-reads the weights less often, fewer keeps A's
// block nearer the core; 512 rows measured as fast as 192 with the weights read once.
constexpr int64_t kRowBlock = 512;
// L2 bytes of weights one group of panels spans, and the smallest A (bytes) grouped (see forward).
constexpr int64_t kGroupBytes = 384 << 10, kGroupMinA = 256 << 10;


}  // namespace

struct PackedLinear::Impl {
  LinearPrecision precision = LinearPrecision::fp32;
  int64_t N = 0, K = 0;
  gemm::Layout layout;
  Words weights;
  std::vector<float> bias;          // panels · kPanel, zero padded; empty when the layer has none
  std::vector<float> col_scale;     // int8: panels · kPanel
  std::vector<int32_t> col_offset;  // int8: panels · kPanel

  // Packs the rows of W (N of them, K each): panel by panel in parallel, each panel's 32 rows
  // converted to words first (row_words), then moved into the panel's blocks.
  void pack(const std::vector<const float*>& rows, bool fast) {
    const gemm::Layout& L = layout;
    if (precision == LinearPrecision::int8) {
      col_scale.assign(static_cast<size_t>(L.panels * kPanel), 0.f);
      col_offset.assign(static_cast<size_t>(L.panels * kPanel), 0);
    }
#pragma omp parallel num_threads(num_threads())
    {
      std::vector<uint32_t> panel(static_cast<size_t>(kPanel * L.steps));  // [row][step]
#pragma omp for schedule(dynamic, 1)
      for (int64_t p = 0; p < L.panels; ++p) {
        for (int64_t l = 0; l < kPanel; ++l) {
          uint32_t* words = panel.data() + l * L.steps;
          const int64_t n = p * kPanel + l;
          if (n >= N)
            std::fill_n(words, L.steps, 0u);
          else
            row_words(rows[n], n, fast, words);
        }
        for (int64_t b = 0; b < L.blocks; ++b) {
          uint32_t* dst = weights.data() + L.offset(b, p);
          const int64_t steps = L.steps_in_block(b), s0 = b * gemm::kBlockSteps;
          // 64 steps at a time, so the 8 KB of the block being written stays in L1.
          for (int64_t c0 = 0; c0 < steps; c0 += 64)
            for (int64_t l = 0; l < kPanel; ++l) {
              const uint32_t* src = panel.data() + l * L.steps + s0;
              for (int64_t s = c0; s < std::min(steps, c0 + 64); ++s) dst[s * kPanel + l] = src[s];
            }
        }
      }
    }
  }

  // Weight row n as words: fp32 bits; bf16 pairs; int8 quads of round(w / scale) with
  // scale = max|w| / 127 (the activations' converter, its +128 zero point flipped back off),
  // recording the scale and 128 · Σ q.
  void row_words(const float* w, int64_t n, bool fast, uint32_t* out) {
    const int64_t steps = layout.steps;
    switch (precision) {
      case LinearPrecision::fp32:
        std::memcpy(out, w, 4 * static_cast<size_t>(K));
        break;
      case LinearPrecision::bf16:
        (fast ? gemm::avx512_row_bf16 : gemm::reference_row_bf16)(w, K, steps, out);
        break;
      case LinearPrecision::int8: {
        col_scale[n] = (fast ? gemm::avx512_row_int8 : gemm::reference_row_int8)(w, K, steps, out);
        int32_t sum = 0;
        for (int64_t s = 0; s < steps; ++s) {
          out[s] ^= 0x80808080u;  // u8 (q + 128) -> s8 q
          for (int j = 0; j < 4; ++j) sum += static_cast<int8_t>(out[s] >> (8 * j));
        }
        col_offset[n] = gemm::kActivationZeroPoint * sum;
        break;
      }
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
    : PackedLinear(std::vector<Part>{{W, bias, out_features}}, in_features, precision) {}

PackedLinear::PackedLinear(const std::vector<Part>& parts, int64_t in_features, LinearPrecision precision)
    : impl_(std::make_unique<Impl>()), in_features_(in_features) {
  // Row n of the stacked weights, and its bias.
  std::vector<const float*> rows;
  std::vector<float> biases;
  bool any_bias = false;
  for (const Part& part : parts) {
    if (part.out_features <= 0 || in_features <= 0)
      throw Error("PackedLinear: weight shape (" + std::to_string(part.out_features) + ", " +
                  std::to_string(in_features) + ") must be positive");
    for (int64_t r = 0; r < part.out_features; ++r) {
      rows.push_back(part.W + r * in_features);
      biases.push_back(part.bias ? part.bias[r] : 0.f);
    }
    any_bias |= part.bias != nullptr;
  }
  if (rows.empty()) throw Error("PackedLinear: no weights");
  out_features_ = static_cast<int64_t>(rows.size());
  Impl& p = *impl_;
  const int64_t N = out_features_, K = in_features, per_step = k_per_step(precision);
  p.precision = precision;
  p.N = N;
  p.K = K;
  p.layout = gemm::Layout(N, (K + per_step - 1) / per_step);
  p.weights = Words(p.layout.words());
  const int64_t padded = p.layout.panels * kPanel;
  if (any_bias) {
    p.bias.assign(static_cast<size_t>(padded), 0.f);
    std::copy(biases.begin(), biases.end(), p.bias.begin());
  }
  p.pack(rows, precision == LinearPrecision::bf16   ? cpu_has_avx512_bf16()
              : precision == LinearPrecision::int8 ? cpu_has_avx512_vnni()
                                                   : false);
}

LinearPrecision PackedLinear::precision() const { return impl_ ? impl_->precision : LinearPrecision::fp32; }

int64_t PackedLinear::bytes() const {
  if (!impl_) return 0;
  const Impl& p = *impl_;
  return 4 * (p.weights.size() + static_cast<int64_t>(p.bias.size() + p.col_scale.size() + p.col_offset.size()));
}

namespace {

// The A operand of one forward in gemm.h's tile layout: fp32 copies of x's rows, or their bf16
// / u8 conversions (int8: one scale per row). The buffers belong to the calling thread.
struct Activations {
  uint32_t* words = nullptr;
  float* row_scale = nullptr;  // int8
};

Activations activation_buffers(int64_t M, const gemm::Layout& L, int64_t height) {
  thread_local std::vector<uint32_t> words;
  thread_local std::vector<float> scales;
  const size_t n = static_cast<size_t>((M + height - 1) / height * L.blocks * height * gemm::kARowStride);
  if (words.size() < n) words.resize(n);
  if (scales.size() < static_cast<size_t>(M)) scales.resize(static_cast<size_t>(M));
  return {words.data(), scales.data()};
}

// Row m of x (K values) into `act`.
void pack_row(LinearPrecision precision, bool fast, const float* x, int64_t K, const gemm::Layout& L, int64_t height,
              int64_t m, const Activations& act) {
  thread_local std::vector<uint32_t> row;  // the converted row, before it is cut into blocks
  const float* xm = x + m * K;
  const uint32_t* src = reinterpret_cast<const uint32_t*>(xm);
  if (precision != LinearPrecision::fp32) {
    if (row.size() < static_cast<size_t>(L.steps)) row.resize(static_cast<size_t>(L.steps));
    if (precision == LinearPrecision::bf16)
      (fast ? gemm::avx512_row_bf16 : gemm::reference_row_bf16)(xm, K, L.steps, row.data());
    else
      act.row_scale[m] = (fast ? gemm::avx512_row_int8 : gemm::reference_row_int8)(xm, K, L.steps, row.data());
    src = row.data();
  }
  const int64_t tile_words = height * gemm::kARowStride;
  for (int64_t b = 0; b < L.blocks; ++b)
    std::memcpy(act.words + ((m / height) * L.blocks + b) * tile_words + (m % height) * gemm::kARowStride,
                src + b * gemm::kBlockSteps, 4 * static_cast<size_t>(L.steps_in_block(b)));
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
  bool fast = false;  // the low-precision kernels of this CPU, else the reference ones
  if (p.precision != LinearPrecision::fp32) {
    fast = p.precision == LinearPrecision::bf16 ? cpu_has_avx512_bf16() : cpu_has_avx512_vnni();
    tile = p.precision == LinearPrecision::bf16 ? (fast ? gemm::avx512_tile_bf16 : gemm::reference_tile_bf16)
                                                : (fast ? gemm::avx512_tile_int8 : gemm::reference_tile_int8);
    max_rows = fast ? gemm::kAvx512TileRows : 4;
  }
  const int nt = static_cast<int>(
      std::min<int64_t>(L.panels, M * p.N * p.K >= kParallelMacs ? num_threads() : 1));
  // Where the last tile would get under half the rows, tiles of equal height instead: 16 rows
  // as 8 + 8, not 12 + 4 (a short tile is bound by its loads). 32 rows measured best as 12 + 12 + 8.
  if (M % max_rows != 0 && M % max_rows < max_rows / 2) {
    const int64_t tiles = (M + max_rows - 1) / max_rows;
    max_rows = static_cast<int>((M + tiles - 1) / tiles);
  }
  // fp32 tiles read x's rows in place, unless the row stride is a multiple of 4 KB: then the 12
  // rows of a tile fall into one L1 set and evict each other (and B), so they are copied to
  // kARowStride rows. (MiniLM's K = 384: the copy took 5 % of a forward.)
  const bool in_place = p.precision == LinearPrecision::fp32 && p.K % 1024 != 0;
  if (in_place) tile = table.gemm_tile_f32_in_place;
  const Activations act = in_place ? Activations{} : activation_buffers(M, L, max_rows);
  // Equal row blocks, each a multiple of the tile height, so no pass over the weights is tiny.
  const int64_t row_blocks = (M + kRowBlock - 1) / kRowBlock;
  const int64_t block_rows = ((M + row_blocks - 1) / row_blocks + max_rows - 1) / max_rows * max_rows;

  // Where A is large (fp32 read in place, MiniLM's batches of ~900 rows), panels go in groups
  // whose blocks fill about kGroupBytes of L2: each tile of rows, its A then in L1, runs over
  // every panel of the group before the next tile, so A is read once per group instead of once
  // per panel (MiniLM embeddings +4-9 %). Elsewhere a group is one panel: the bf16 / int8 tiles
  // on bart-large shapes ran up to 9 % slower grouped, and small batches have no A to reuse.
  // Groups are equal in size, at least two per thread.
  const bool grouped = in_place && M * p.K * 4 >= kGroupMinA;
  const int64_t block_bytes = L.steps_in_block(0) * kPanel * 4;
  const int64_t min_groups = grouped ? std::min<int64_t>(L.panels, 2 * nt) : L.panels;
  int64_t groups = std::max<int64_t>({(L.panels * block_bytes + kGroupBytes - 1) / kGroupBytes, min_groups, 1});
  const int64_t group_panels = (L.panels + groups - 1) / groups;
  groups = (L.panels + group_panels - 1) / group_panels;

  // Groups are shared out in ranges, one per pair of threads, the pair walking its range from both
  // ends until they meet: each thread still streams neighbouring panels (and prefetches the next
  // group), and a thread slowed down (this machine's vCPUs are preempted now and then) leaves its
  // partner more groups instead of a wait at the barrier.
  const int ranges = (nt + 1) / 2;
  std::vector<std::atomic<int64_t>> claimed(static_cast<size_t>(ranges));
  for (auto& c : claimed) c.store(0, std::memory_order_relaxed);

#pragma omp parallel num_threads(nt)
  {
    if (!in_place) {
#pragma omp for schedule(static)
      for (int64_t m = 0; m < M; ++m) pack_row(p.precision, fast, x, p.K, L, max_rows, m, act);
      // (the loop's barrier: A is complete before any tile reads it)
    }
    // The team may be smaller than nt (a forward called inside another parallel region).
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    const int range_count = (team + 1) / 2, range = t / 2;
    const bool descending = t % 2 == 1;
    const int64_t r0 = groups * range / range_count, r1 = groups * (range + 1) / range_count;
    std::atomic<int64_t>& taken = claimed[static_cast<size_t>(range)];
    gemm::Tile tt;
    tt.ldc = p.N;
    if (in_place) tt.lda = p.K;
    const bool activate = epilogue.activation != Activation::none;
    int64_t mine = 0;  // groups this thread has claimed
    auto claim = [&]() -> int64_t {
      if (taken.fetch_add(1, std::memory_order_relaxed) >= r1 - r0) return -1;
      const int64_t k = mine++;
      return descending ? r1 - 1 - k : r0 + k;
    };
    for (int64_t group = claim(); group >= 0;) {
      const int64_t p0 = group * group_panels, p1 = std::min(L.panels, p0 + group_panels);
      // The group this thread most likely takes next (its partner may take it first).
      const int64_t after = descending ? group - 1 : group + 1;
      const bool has_after = after >= r0 && after < r1;
      for (int64_t m0 = 0; m0 < M; m0 += block_rows) {
        const int64_t m1 = std::min(M, m0 + block_rows);
        for (int64_t b = 0; b < L.blocks; ++b) {
          tt.steps = L.steps_in_block(b);
          tt.first = b == 0;
          tt.last = b == L.blocks - 1;
          // The next blocks this thread reads, their lines shared out among this pass's tiles
          // for prefetching. Without that, they stream in from memory during the first tile
          // only, which the hardware prefetcher does not run far enough ahead to overlap with
          // the other tiles' work: at 32 rows the memory idled half the time. (A pass of one
          // tile streams its blocks itself.)
          // Next: this group's next block, its first again for the next row block, or the
          // first block of the group this thread most likely takes next.
          const int64_t next_block = b + 1 < L.blocks ? b + 1 : m1 < M || has_after ? 0 : -1;
          const int64_t next_p0 = b + 1 < L.blocks || m1 < M ? p0 : after * group_panels;
          const int64_t next_p1 = b + 1 < L.blocks || m1 < M ? p1 : std::min(L.panels, next_p0 + group_panels);
          const float* next =
              next_block < 0 ? nullptr : reinterpret_cast<const float*>(p.weights.data() + L.offset(next_block, next_p0));
          const int64_t next_lines = next_block < 0 ? 0 : (next_p1 - next_p0) * L.steps_in_block(next_block) * kPanel / 16;
          // In a group of one block, a tile's last call prefetches the next tile's rows of A
          // instead (contiguous: lda = K), which would otherwise come from L3 during its first call.
          const bool a_ahead = grouped && L.blocks == 1 && p1 - p0 > 1;
          const int64_t calls = (m1 - m0 + max_rows - 1) / max_rows * (p1 - p0 - (a_ahead ? 1 : 0));
          const int64_t share = calls > 1 ? std::min(tt.steps, (next_lines + calls - 1) / calls) : 0;
          int64_t call = 0;
          for (int64_t m = m0; m < m1; m += max_rows) {
            tt.rows = static_cast<int>(std::min<int64_t>(max_rows, m1 - m));
            tt.a = in_place ? static_cast<const void*>(x + m * p.K + b * gemm::kBlockSteps)
                            : act.words + ((m / max_rows) * L.blocks + b) * max_rows * gemm::kARowStride;
            if (p.precision == LinearPrecision::int8) tt.row_scale = act.row_scale + m;
            for (int64_t panel = p0; panel < p1; ++panel) {
              const int64_t col = panel * kPanel;
              tt.cols = static_cast<int>(std::min<int64_t>(kPanel, p.N - col));
              tt.bias = p.bias.empty() ? nullptr : p.bias.data() + col;
              if (p.precision == LinearPrecision::int8) {
                tt.col_scale = p.col_scale.data() + col;
                tt.col_offset = p.col_offset.data() + col;
              }
              tt.b = p.weights.data() + L.offset(b, panel);
              if (a_ahead && panel == p1 - 1) {
                const int64_t next_rows = std::min<int64_t>(max_rows, m1 - m - max_rows);
                tt.prefetch = next_rows > 0 ? x + (m + max_rows) * p.K : nullptr;
                tt.prefetch_lines = next_rows > 0 ? (next_rows * p.K + 15) / 16 : 0;
              } else {
                const int64_t first_line = std::min(next_lines, call++ * share);
                tt.prefetch = next ? next + first_line * 16 : nullptr;
                tt.prefetch_lines = std::min(share, next_lines - first_line);
              }
              tt.c = y + m * p.N + col;
              // The next tile's C rows, for writing: their first touch would otherwise stall the
              // stores.
              for (int64_t r = m + max_rows; r < std::min(m1, m + 2 * max_rows); ++r) {
                __builtin_prefetch(y + r * p.N + col, 1);
                __builtin_prefetch(y + r * p.N + col + 16, 1);
              }
              // The residual is added in the tile unless an activation comes first.
              tt.residual = epilogue.residual && !activate ? epilogue.residual + m * p.N + col : nullptr;
              tile(tt);
            }
            if (!tt.last || !activate) continue;
            // The activation over the tile's rows of the whole group at once (still in L1):
            // called per panel, each call's few vectors ran at the latency of erf's polynomials.
            const int64_t c0 = p0 * kPanel, c1 = std::min(p.N, p1 * kPanel);
            for (int r = 0; r < tt.rows; ++r) {
              float* out = y + (m + r) * p.N + c0;
              apply_activation(table, epilogue.activation, out, c1 - c0);
              if (epilogue.residual) table.add(out, epilogue.residual + (m + r) * p.N + c0, c1 - c0);
            }
          }
        }
      }
      group = claim();
    }
  }
}

}  // namespace lmpipe::kernels
