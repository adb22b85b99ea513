// Kernel throughput on facebook/bart-large-mnli shapes (d_model 1024, FFN 4096, 16 heads of 64).
// Run: ./build/bench/kernels_bench [--benchmark_filter=PackedLinear]; LMPIPE_ISA and
// LMPIPE_NUM_THREADS apply as in the library.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

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
  if (lin.precision() != P) state.SkipWithError("precision unsupported on this CPU");
  lin.forward(x.data(), M, y.data());  // creates the cached primitive for M
  for (auto _ : state) {
    lin.forward(x.data(), M, y.data());
    benchmark::DoNotOptimize(y.data());
  }
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
