// Kernels called from several threads at once (the Python bindings release the GIL, Dask
// workers run tasks in threads): one PackedLinear or GEMM shape run concurrently must give
// exactly what a lone call gives.
#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "kernels/kernels.h"

using namespace lmpipe;

namespace {

std::vector<float> random_vector(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 0.02f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Runs `call(out)` on `threads` threads at once, `rounds` times; every output must equal `want`.
template <typename Call>
void expect_concurrent_calls_match(const std::vector<float>& want, Call call, int threads = 4, int rounds = 20) {
  for (int round = 0; round < rounds; ++round) {
    std::vector<std::vector<float>> outs(threads, std::vector<float>(want.size()));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { call(outs[t].data()); });
    for (auto& th : pool) th.join();
    for (int t = 0; t < threads; ++t) ASSERT_EQ(outs[t], want) << "round " << round << ", thread " << t;
  }
}

}  // namespace

TEST(KernelsConcurrency, OnePackedLinearFromManyThreads) {
  const int64_t N = 1024, K = 1024, M = 64;
  const auto W = random_vector(N * K, 1), bias = random_vector(N, 2), x = random_vector(M * K, 3);
  const kernels::PackedLinear linear(W.data(), bias.data(), N, K);
  std::vector<float> want(M * N);
  linear.forward(x.data(), M, want.data());
  expect_concurrent_calls_match(want, [&](float* y) { linear.forward(x.data(), M, y); });
}

TEST(KernelsConcurrency, LargeMatmulFromManyThreads) {
  const int64_t M = 256, N = 256, K = 256;  // large enough for the library GEMM
  const auto A = random_vector(M * K, 4), B = random_vector(K * N, 5);
  std::vector<float> want(M * N);
  kernels::matmul(A.data(), K, B.data(), N, want.data(), N, M, N, K, false, 1.f, 0.f);
  expect_concurrent_calls_match(want, [&](float* C) { kernels::matmul(A.data(), K, B.data(), N, C, N, M, N, K, false, 1.f, 0.f); });
}
