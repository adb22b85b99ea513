// Kernel throughput on facebook/bart-large-mnli shapes (d_model 1024, FFN 4096, 16 heads of 64),
// PackedLinear (fp32, bf16, int8) against oneDNN's matmul (f32, bf16) on the same products.
// Run: ./build/bench/kernels_bench [--benchmark_filter=PackedLinear]; LMPIPE_ISA and
// LMPIPE_NUM_THREADS apply as in the library.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include <dnnl.hpp>

#include "kernels/gemm.h"
#include "kernels/isa.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"

using namespace lmpipe::kernels;

namespace {

std::vector<float> random_vec(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void flops_counter(benchmark::State& state, double flops_per_iter) {
  state.counters["FLOPS"] = benchmark::Counter(flops_per_iter, benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::kIs1000);
}

// Args: M, N, K.
template <LinearPrecision P>
void BM_PackedLinear(benchmark::State& state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  std::vector<float> W = random_vec(N * K, 1), b = random_vec(N, 2), x = random_vec(M * K, 3), y(M * N);
  PackedLinear lin(W.data(), b.data(), N, K, P);
  lin.forward(x.data(), M, y.data());
  for (auto _ : state) {
    lin.forward(x.data(), M, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  flops_counter(state, 2.0 * M * N * K);
}

// The same product through oneDNN 2.6's matmul, weights reordered once into its blocked layout
// (what PackedLinear did before its own kernels), f32 or bf16 (activations converted per call).
template <dnnl::memory::data_type T>
void BM_OneDnnLinear(benchmark::State& state) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  std::vector<float> W = random_vec(N * K, 1), b = random_vec(N, 2), x = random_vec(M * K, 3), y(M * N);
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(eng);
  dnnl::memory::desc src({M, K}, T, tag::ab), wany({K, N}, T, tag::any), bias_md({1, N}, dt::f32, tag::ab),
      dst({M, N}, dt::f32, tag::ab);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, wany, bias_md, dst), eng);
  dnnl::memory w_user({{K, N}, dt::f32, tag::ba}, eng, W.data()), weights(pd.weights_desc(), eng),
      bias(bias_md, eng, b.data()), x_f32({{M, K}, dt::f32, tag::ab}, eng, x.data()), x_in(src, eng),
      out(dst, eng, y.data());
  dnnl::reorder(w_user, weights).execute(stream, w_user, weights);
  dnnl::matmul matmul(pd);
  dnnl::reorder to_src(x_f32, x_in);
  auto run = [&] {
    to_src.execute(stream, x_f32, x_in);
    matmul.execute(stream, {{DNNL_ARG_SRC, x_in}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, bias}, {DNNL_ARG_DST, out}});
    stream.wait();
  };
  run();
  for (auto _ : state) run();
  flops_counter(state, 2.0 * M * N * K);
}

void bart_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K"})
      ->ArgsProduct({{32, 128, 512}, {1024}, {1024}})
      ->ArgsProduct({{32, 128, 512}, {4096}, {1024}})
      ->ArgsProduct({{32, 128, 512}, {1024}, {4096}})
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_PackedLinear<LinearPrecision::fp32>)->Name("BM_PackedLinear")->Apply(bart_shapes);
BENCHMARK(BM_PackedLinear<LinearPrecision::bf16>)->Name("BM_PackedLinearBf16")->Apply(bart_shapes);
BENCHMARK(BM_PackedLinear<LinearPrecision::int8>)->Name("BM_PackedLinearInt8")->Apply(bart_shapes);
BENCHMARK(BM_OneDnnLinear<dnnl::memory::data_type::f32>)->Name("BM_OneDnnLinear")->Apply(bart_shapes);
BENCHMARK(BM_OneDnnLinear<dnnl::memory::data_type::bf16>)->Name("BM_OneDnnLinearBf16")->Apply(bart_shapes);

// all-MiniLM-L6-v2's products (q/k/v 1152x384, out 384x384, intermediate 1536x384, output
// 384x1536) on a packed batch of 32 sentences of 16-40 tokens (~880 rows).
void minilm_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K"})
      ->Args({880, 1152, 384})
      ->Args({880, 384, 384})
      ->Args({880, 1536, 384})
      ->Args({880, 384, 1536})
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_PackedLinear<LinearPrecision::fp32>)->Name("BM_PackedLinearMiniLM")->Apply(minilm_shapes);
BENCHMARK(BM_OneDnnLinear<dnnl::memory::data_type::f32>)->Name("BM_OneDnnLinearMiniLM")->Apply(minilm_shapes);

// Six encoder layers' products (q/k/v 3072x1024, out 1024x1024, fc1 4096x1024, fc2 1024x4096),
// each with its own weights (72 MB per layer in fp32), so the weights stream from memory as in
// a real forward. Arg: M.
template <LinearPrecision P>
void BM_LayerStack(benchmark::State& state) {
  const int64_t M = state.range(0);
  const int64_t shapes[4][2] = {{3072, 1024}, {1024, 1024}, {4096, 1024}, {1024, 4096}};
  std::vector<PackedLinear> layers;
  double flops = 0;
  for (int l = 0; l < 6; ++l)
    for (const auto& s : shapes) {
      std::vector<float> W = random_vec(s[0] * s[1], 20 + l), b = random_vec(s[0], 30 + l);
      layers.emplace_back(W.data(), b.data(), s[0], s[1], P);
      flops += 2.0 * M * s[0] * s[1];
    }
  std::vector<float> x = random_vec(M * 4096, 4), y(M * 4096);
  for (auto _ : state) {
    for (const PackedLinear& lin : layers) lin.forward(x.data(), M, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  flops_counter(state, flops);
}
BENCHMARK(BM_LayerStack<LinearPrecision::fp32>)->Name("BM_LayerStack")->Arg(32)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LayerStack<LinearPrecision::bf16>)->Name("BM_LayerStackBf16")->Arg(32)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LayerStack<LinearPrecision::int8>)->Name("BM_LayerStackInt8")->Arg(32)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond);

// The bf16 / int8 micro-kernel alone on one thread, 40 tiles of 12 rows x 32 columns over one
// panel of 256 k-steps (A 480 KB in L2, B 32 KB): "dp/s" counts vdpbf16ps / vpdpbusd instructions,
// to hold against fma_peak's FMA instructions per second per thread (the same two pipes issue both).
template <bool Int8>
void BM_TileInCache(benchmark::State& state) {
  if (Int8 ? !cpu_has_avx512_vnni() : !cpu_has_avx512_bf16()) return state.SkipWithError("CPU lacks the instruction");
  constexpr int64_t kTiles = 40, kSteps = 256, kRows = gemm::kAvx512TileRows;
  std::vector<uint32_t> a(kTiles * kRows * gemm::kARowStride, 0x01010101u), b(kSteps * gemm::kPanel, 0x01010101u);
  std::vector<float> c(kTiles * kRows * gemm::kPanel), ones(gemm::kPanel, 1.f);
  std::vector<int32_t> offsets(gemm::kPanel, 0);
  gemm::Tile t;
  t.b = b.data(), t.steps = kSteps, t.rows = kRows, t.cols = gemm::kPanel, t.ldc = gemm::kPanel;
  t.row_scale = ones.data(), t.col_scale = ones.data(), t.col_offset = offsets.data();
  for (auto _ : state)
    for (int64_t i = 0; i < kTiles; ++i) {
      t.a = a.data() + i * kRows * gemm::kARowStride, t.c = c.data() + i * kRows * gemm::kPanel;
      (Int8 ? gemm::avx512_tile_int8 : gemm::avx512_tile_bf16)(t);
    }
  benchmark::DoNotOptimize(c.data());
  state.counters["dp/s"] = benchmark::Counter(2.0 * kTiles * kRows * kSteps, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}
BENCHMARK(BM_TileInCache<false>)->Name("BM_TileInCacheBf16")->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TileInCache<true>)->Name("BM_TileInCacheInt8")->UseRealTime()->Unit(benchmark::kMicrosecond);

// Attention for a batch of 2 sequences of 16 tokens (self-attention, key padding bias).
template <bool Reference>
void BM_Attention2x16(benchmark::State& state) {
  const int64_t T = 16, H = 16, D = 64, hd = H * D, batch = 2;
  std::vector<float> q = random_vec(batch * T * hd, 4), k = random_vec(batch * T * hd, 5),
                     v = random_vec(batch * T * hd, 6), out(batch * T * hd), key_bias(T, 0.f);
  key_bias[T - 1] = -INFINITY;
  for (auto _ : state) {
    for (int64_t s = 0; s < batch; ++s) {
      AttentionArgs a;
      a.q = q.data() + s * T * hd, a.k = k.data() + s * T * hd, a.v = v.data() + s * T * hd;
      a.out = out.data() + s * T * hd;
      a.q_stride = a.k_stride = a.v_stride = a.out_stride = hd;
      a.Tq = a.Tk = T, a.H = H, a.D = D, a.scale = 0.125f, a.key_bias = key_bias.data();
      if (Reference)
        ref::attention(a);
      else
        attention(a);
    }
    benchmark::DoNotOptimize(out.data());
  }
  flops_counter(state, batch * 4.0 * H * T * T * D);
}
BENCHMARK(BM_Attention2x16<false>)->Name("BM_Attention2x16")->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Attention2x16<true>)->Name("BM_Attention2x16_ref")->UseRealTime()->Unit(benchmark::kMicrosecond);

// Self-attention of a packed batch as all-MiniLM-L6-v2 runs it: 32 sentences of 16-40 tokens,
// 12 heads of 32 dimensions, q|k|v fused in rows of 3 x 384.
void BM_AttentionMiniLM(benchmark::State& state) {
  const int64_t H = 12, D = 32, d = H * D, count = 32;
  std::vector<int64_t> offsets{0};
  for (int64_t s = 0; s < count; ++s) offsets.push_back(offsets.back() + 16 + (s * 7) % 25);
  const int64_t rows = offsets.back();
  std::vector<float> qkv = random_vec(rows * 3 * d, 4), out(rows * d);
  std::vector<AttentionArgs> args(count);
  double flops = 0;
  for (int64_t s = 0; s < count; ++s) {
    AttentionArgs& a = args[s];
    const int64_t r0 = offsets[s], T = offsets[s + 1] - r0;
    a.q = qkv.data() + r0 * 3 * d, a.k = a.q + d, a.v = a.q + 2 * d, a.out = out.data() + r0 * d;
    a.q_stride = a.k_stride = a.v_stride = 3 * d, a.out_stride = d;
    a.Tq = a.Tk = T, a.H = H, a.D = D, a.scale = 1.f / std::sqrt(32.f);
    flops += 4.0 * H * T * T * D;
  }
  for (auto _ : state) {
    attention_batch(args.data(), count);
    benchmark::DoNotOptimize(out.data());
  }
  flops_counter(state, flops);
}
BENCHMARK(BM_AttentionMiniLM)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Row kernels on a (512, 1024) activation / (512, 4096) FFN hidden.
void BM_LayerNorm(benchmark::State& state) {
  const int64_t rows = 512, C = 1024;
  std::vector<float> x = random_vec(rows * C, 7), g = random_vec(C, 8), b = random_vec(C, 9), y(rows * C);
  for (auto _ : state) {
    layer_norm(x.data(), g.data(), b.data(), y.data(), rows, C, 1e-5f);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(state.iterations() * rows * C * 8);
}
BENCHMARK(BM_LayerNorm)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_Gelu(benchmark::State& state) {
  const int64_t n = 512 * 4096;
  std::vector<float> x0 = random_vec(n, 10), x = x0;
  for (auto _ : state) {
    state.PauseTiming();
    x = x0;
    state.ResumeTiming();
    gelu(x.data(), n);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Gelu)->UseRealTime()->Unit(benchmark::kMicrosecond);

// GELU on data in L1, as the GEMM applies it to each tile it has just written (BM_Gelu streams
// from memory and hides the cost of erf).
void BM_GeluInL1(benchmark::State& state) {
  const int64_t n = 12 * 1536;
  std::vector<float> x0 = random_vec(n, 10), x = x0;
  for (auto _ : state) {
    std::copy(x0.begin(), x0.end(), x.begin());
    gelu(x.data(), n);
    benchmark::DoNotOptimize(x.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_GeluInL1)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_Softmax(benchmark::State& state) {
  const int64_t rows = 2 * 16 * 16, N = 16;  // attention probabilities of 2x16 tokens, 16 heads
  std::vector<float> x0 = random_vec(rows * N, 11), x = x0;
  for (auto _ : state) {
    x = x0;
    softmax_rows(x.data(), rows, N);
    benchmark::DoNotOptimize(x.data());
  }
}
BENCHMARK(BM_Softmax)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
