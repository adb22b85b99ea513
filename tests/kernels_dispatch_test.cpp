// Every dispatched kernel against ref:: on random data with odd sizes, once per ISA this CPU has.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/isa.h"
#include "kernels/kernels.h"
#include "kernels/reference.h"
#include "test_util.h"
#include "util/error.h"

using namespace lmpipe;
using namespace lmpipe::kernels;

namespace {

std::vector<float> random_vec(size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// |got - want| <= atol + rtol·|want| elementwise, reporting the first offender.
void expect_close(const std::vector<float>& got, const std::vector<float>& want, float atol, float rtol,
                  const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << what << " at " << i;
      continue;
    }
    ASSERT_LE(std::fabs(got[i] - want[i]), atol + rtol * std::fabs(want[i]))
        << what << " at " << i << ": got " << got[i] << " want " << want[i];
  }
}

class PerIsa : public ::testing::TestWithParam<CpuIsa> {
 protected:
  void SetUp() override {
    if (!cpu_supports(GetParam())) GTEST_SKIP() << "CPU lacks " << cpu_isa_name(GetParam());
    saved_ = get_cpu_isa();
    set_cpu_isa(GetParam());
  }
  void TearDown() override {
    if (cpu_supports(GetParam())) set_cpu_isa(saved_);
  }
  std::string tag(const std::string& what) const { return std::string(cpu_isa_name(GetParam())) + " " + what; }

 private:
  CpuIsa saved_ = CpuIsa::scalar;
};

const int64_t kSizes[] = {1, 3, 17, 100, 1029, 70001};

TEST_P(PerIsa, ActivationsMatchReference) {
  using Fn = void (*)(float*, int64_t);
  struct Case { const char* name; Fn fast, ref; float atol, rtol; };
  const Case cases[] = {
      {"gelu", kernels::gelu, ref::gelu, 2e-7f, 1e-6f},
      // ref computes 1 + tanh(u) in fp32, off by up to ½|x|·2⁻²⁴ where tanh u ≈ -1.
      {"gelu_tanh", kernels::gelu_tanh, ref::gelu_tanh, 4e-7f, 1e-6f},
      {"relu", kernels::relu, ref::relu, 0, 0},
      {"tanh", kernels::tanh_inplace, ref::tanh_inplace, 1e-7f, 1e-6f},
  };
  for (const Case& c : cases)
    for (int64_t n : kSizes) {
      std::vector<float> x = random_vec(n, -10.f, 10.f, 7 + n);
      if (n > 3) x[0] = 0.f, x[1] = 1e-4f, x[2] = -3e-3f;
      std::vector<float> want = x;
      c.ref(want.data(), n);
      c.fast(x.data(), n);
      expect_close(x, want, c.atol, c.rtol, tag(c.name + std::string(" n=") + std::to_string(n)));
    }
}

TEST_P(PerIsa, ExactErfGeluOnItsWholeRange) {
  // Dense sweep over the regions of the vectorized erf (|x/√2| < 1, 1..4, > 4).
  std::vector<float> x;
  for (float v = -12.f; v <= 12.f; v += 0.001f) x.push_back(v);
  std::vector<float> want = x;
  ref::gelu(want.data(), static_cast<int64_t>(want.size()));
  kernels::gelu(x.data(), static_cast<int64_t>(x.size()));
  expect_close(x, want, 2e-7f, 1e-6f, tag("gelu sweep"));
}

TEST_P(PerIsa, ElementwiseBinaryMatchReference) {
  for (int64_t n : kSizes) {
    std::vector<float> y = random_vec(n, -2, 2, 1), x = random_vec(n, -2, 2, 2);
    std::vector<float> a = y, b = y;
    kernels::add_inplace(a.data(), x.data(), n);
    ref::add_inplace(b.data(), x.data(), n);
    expect_close(a, b, 0, 0, tag("add"));
    a = y, b = y;
    kernels::mul_inplace(a.data(), x.data(), n);
    ref::mul_inplace(b.data(), x.data(), n);
    expect_close(a, b, 0, 0, tag("mul"));
  }
  for (int64_t rows : {1, 3, 17})
    for (int64_t N : {1, 7, 33, 1029}) {
      std::vector<float> x = random_vec(rows * N, -2, 2, 3), bias = random_vec(N, -1, 1, 4), want = x;
      kernels::add_bias_rows(x.data(), bias.data(), rows, N);
      ref::add_bias_rows(want.data(), bias.data(), rows, N);
      expect_close(x, want, 0, 0, tag("add_bias_rows"));
    }
}

TEST_P(PerIsa, NormsMatchReference) {
  for (int64_t rows : {1, 3, 17, 64})
    for (int64_t C : {1, 7, 33, 1024, 1029}) {
      std::vector<float> x = random_vec(rows * C, -3, 5, 11), g = random_vec(C, 0.5f, 1.5f, 12),
                         b = random_vec(C, -1, 1, 13);
      std::vector<float> got(x.size()), want(x.size());
      kernels::layer_norm(x.data(), g.data(), b.data(), got.data(), rows, C, 1e-5f);
      ref::layer_norm(x.data(), g.data(), b.data(), want.data(), rows, C, 1e-5f);
      expect_close(got, want, 1e-5f, 1e-5f, tag("layer_norm C=" + std::to_string(C)));
      kernels::layer_norm(x.data(), nullptr, nullptr, got.data(), rows, C, 1e-12f);
      ref::layer_norm(x.data(), nullptr, nullptr, want.data(), rows, C, 1e-12f);
      expect_close(got, want, 1e-5f, 1e-5f, tag("layer_norm no affine"));
      kernels::rms_norm(x.data(), g.data(), got.data(), rows, C, 1e-6f);
      ref::rms_norm(x.data(), g.data(), want.data(), rows, C, 1e-6f);
      expect_close(got, want, 1e-6f, 1e-5f, tag("rms_norm"));
      // In place.
      got = x;
      kernels::layer_norm(got.data(), g.data(), b.data(), got.data(), rows, C, 1e-5f);
      ref::layer_norm(x.data(), g.data(), b.data(), want.data(), rows, C, 1e-5f);
      expect_close(got, want, 1e-5f, 1e-5f, tag("layer_norm in place"));
    }
}

TEST_P(PerIsa, SoftmaxMatchesReferenceWithMaskedEntries) {
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int64_t rows : {1, 3, 17})
    for (int64_t N : {1, 5, 16, 33, 1029}) {
      std::vector<float> x = random_vec(rows * N, -20, 20, 21);
      for (int64_t i = 0; i < rows * N; i += 3) x[i] = ninf;
      for (int64_t c = 0; c < N; ++c) x[c] = ninf;  // row 0 fully masked -> zeros
      std::vector<float> want = x;
      kernels::softmax_rows(x.data(), rows, N);
      ref::softmax_rows(want.data(), rows, N);
      expect_close(x, want, 1e-7f, 1e-5f, tag("softmax N=" + std::to_string(N)));
    }
}

TEST_P(PerIsa, MatmulMatchesReference) {
  for (bool tb : {false, true})
    for (int64_t M : {1, 3, 17, 64})
      for (int64_t N : {1, 5, 33, 70})
        for (int64_t K : {0, 1, 7, 64, 100, 300})
          for (float beta : {0.f, 0.7f}) {
            int64_t lda = K + 3, ldb = (tb ? K : N) + 5, ldc = N + 2;
            std::vector<float> A = random_vec(M * lda, -1, 1, 31), B = random_vec((tb ? N : K) * ldb, -1, 1, 32),
                               C = random_vec(M * ldc, -1, 1, 33), want = C;
            kernels::matmul(A.data(), lda, B.data(), ldb, C.data(), ldc, M, N, K, tb, 0.5f, beta);
            ref::matmul(A.data(), lda, B.data(), ldb, want.data(), ldc, M, N, K, tb, 0.5f, beta);
            expect_close(C, want, 1e-5f, 1e-5f,
                         tag("matmul M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K)));
          }
}

TEST_P(PerIsa, LargeMatmulAndLinearMatchReference) {
  // Big enough for the oneDNN path.
  for (bool tb : {false, true}) {
    int64_t M = 129, N = 257, K = 100, lda = K + 1, ldb = (tb ? K : N) + 3, ldc = N;
    std::vector<float> A = random_vec(M * lda, -1, 1, 41), B = random_vec((tb ? N : K) * ldb, -1, 1, 42),
                       C = random_vec(M * ldc, -1, 1, 43), want = C;
    kernels::matmul(A.data(), lda, B.data(), ldb, C.data(), ldc, M, N, K, tb, 1.25f, 0.5f);
    ref::matmul(A.data(), lda, B.data(), ldb, want.data(), ldc, M, N, K, tb, 1.25f, 0.5f);
    expect_close(C, want, 1e-5f, 1e-5f, tag("large matmul"));
  }
  for (int64_t M : {1, 17, 300}) {
    int64_t K = 129, N = 250;
    std::vector<float> x = random_vec(M * K, -1, 1, 44), W = random_vec(N * K, -1, 1, 45), b = random_vec(N, -1, 1, 46);
    std::vector<float> got(M * N), want(M * N);
    kernels::linear(x.data(), W.data(), b.data(), got.data(), M, K, N);
    ref::linear(x.data(), W.data(), b.data(), want.data(), M, K, N);
    expect_close(got, want, 1e-5f, 1e-5f, tag("linear"));
  }
}

TEST_P(PerIsa, PackedLinearMatchesReference) {
  struct Shape { int64_t N, K; };
  for (Shape s : {Shape{5, 7}, Shape{33, 100}, Shape{64, 48}, Shape{1000, 1001}, Shape{70, 2100}})
    for (bool with_bias : {true, false}) {
      std::vector<float> W = random_vec(s.N * s.K, -1, 1, 51), b = random_vec(s.N, -1, 1, 52);
      PackedLinear lin(W.data(), with_bias ? b.data() : nullptr, s.N, s.K);
      W.assign(W.size(), 0.f);  // the packed copy must not reference the source
      std::vector<float> W2 = random_vec(s.N * s.K, -1, 1, 51);
      for (int64_t M : {1, 3, 17, 64, 1, 3}) {  // repeats hit the primitive cache
        std::vector<float> x = random_vec(M * s.K, -1, 1, 53 + M), got(M * s.N), want(M * s.N);
        lin.forward(x.data(), M, got.data());
        ref::linear(x.data(), W2.data(), with_bias ? b.data() : nullptr, want.data(), M, s.K, s.N);
        expect_close(got, want, 1e-4f, 1e-5f, tag("PackedLinear N=" + std::to_string(s.N)));
      }
    }
}

// Decoding steps (M ≤ 4) through linear() and PackedLinear, with output counts that leave
// partial panels and input counts that leave partial vectors.
TEST_P(PerIsa, FewRowProductsMatchReference) {
  struct Shape { int64_t N, K; };
  for (Shape s : {Shape{1, 5}, Shape{130, 77}, Shape{200, 768}, Shape{2051, 33}})
    for (int64_t M = 1; M <= 4; ++M) {
      std::vector<float> W = random_vec(s.N * s.K, -1, 1, 61), b = random_vec(s.N, -1, 1, 62),
                         x = random_vec(M * s.K, -1, 1, 63), got(M * s.N), want(M * s.N);
      const std::string what = " M=" + std::to_string(M) + " N=" + std::to_string(s.N) + " K=" + std::to_string(s.K);
      ref::linear(x.data(), W.data(), b.data(), want.data(), M, s.K, s.N);
      kernels::linear(x.data(), W.data(), b.data(), got.data(), M, s.K, s.N);
      expect_close(got, want, 1e-4f, 1e-5f, tag("linear" + what));
      PackedLinear(W.data(), b.data(), s.N, s.K).forward(x.data(), M, got.data());
      expect_close(got, want, 1e-4f, 1e-5f, tag("PackedLinear" + what));
    }
}

// bf16 and int8: this ISA's kernels against the scalar reference kernels on the same packed
// weights (int8 sums are exact integers: identical results), at shapes with tails in every
// dimension (rows around the tile height, a partial last panel, K not a multiple of a step, K
// over one 1024-step block), with the fused epilogue; and against fp32 within the precision.
TEST_P(PerIsa, LowPrecisionLinearMatchesReferenceKernels) {
  struct Shape { int64_t N, K; };
  for (LinearPrecision precision : {LinearPrecision::bf16, LinearPrecision::int8})
    for (Shape s : {Shape{33, 7}, Shape{64, 101}, Shape{70, 2051}, Shape{40, 4099}}) {
      std::vector<float> W = random_vec(s.N * s.K, -0.5f, 0.5f, 101), b = random_vec(s.N, -1, 1, 102);
      PackedLinear lin(W.data(), b.data(), s.N, s.K, precision), exact(W.data(), b.data(), s.N, s.K);
      for (int64_t M : {1, 11, 12, 13, 25}) {
        std::vector<float> x = random_vec(M * s.K, -2, 2, 103 + M), residual = random_vec(M * s.N, -1, 1, 104);
        std::vector<float> got(M * s.N), want(M * s.N), fp32(M * s.N);
        const LinearEpilogue epilogue{Activation::gelu, residual.data()};
        lin.forward(x.data(), M, got.data(), epilogue);
        const CpuIsa isa = get_cpu_isa();
        set_cpu_isa(CpuIsa::scalar);
        lin.forward(x.data(), M, want.data(), epilogue);
        set_cpu_isa(isa);
        exact.forward(x.data(), M, fp32.data(), epilogue);
        const std::string what = tag(std::string(precision_name(precision)) + " N=" + std::to_string(s.N) +
                                     " K=" + std::to_string(s.K) + " M=" + std::to_string(M));
        // Tolerances relative to a sum of K terms of |x·w| ≤ 1: fp32 rounding (the SIMD kernel
        // fuses, the reference rounds twice), then the precision's own rounding of x and w.
        const float sum_scale = static_cast<float>(s.K) * 0.5f;
        if (precision == LinearPrecision::int8)
          expect_close(got, want, 1e-6f, 1e-6f, what + " vs reference");
        else
          expect_close(got, want, 2e-6f * sum_scale, 1e-5f, what + " vs reference");
        expect_close(got, fp32, (precision == LinearPrecision::bf16 ? 0.01f : 0.03f) * std::sqrt(sum_scale), 0.01f,
                     what + " vs fp32");
      }
    }
}

// The fused epilogue equals the separate kernels: activation, then the residual added.
TEST_P(PerIsa, LinearEpilogueMatchesSeparateKernels) {
  const int64_t M = 13, N = 70, K = 45;
  std::vector<float> W = random_vec(N * K, -1, 1, 111), b = random_vec(N, -1, 1, 112), x = random_vec(M * K, -1, 1, 113),
                     residual = random_vec(M * N, -1, 1, 114);
  PackedLinear lin(W.data(), b.data(), N, K);
  for (Activation act : {Activation::none, Activation::gelu, Activation::gelu_tanh, Activation::relu, Activation::tanh}) {
    std::vector<float> fused(M * N), separate(M * N);
    lin.forward(x.data(), M, fused.data(), {act, residual.data()});
    lin.forward(x.data(), M, separate.data());
    if (act == Activation::gelu) kernels::gelu(separate.data(), M * N);
    if (act == Activation::gelu_tanh) kernels::gelu_tanh(separate.data(), M * N);
    if (act == Activation::relu) kernels::relu(separate.data(), M * N);
    if (act == Activation::tanh) kernels::tanh_inplace(separate.data(), M * N);
    kernels::add_inplace(separate.data(), residual.data(), M * N);
    expect_close(fused, separate, 0, 0, tag("epilogue " + std::to_string(static_cast<int>(act))));
  }
}

// Rows are independent: each row's output is bitwise the same whatever the other rows are.
TEST_P(PerIsa, LinearRowsDoNotDependOnTheOtherRows) {
  const int64_t N = 50, K = 1100, M = 29;
  std::vector<float> W = random_vec(N * K, -1, 1, 121), x = random_vec(M * K, -1, 1, 122);
  for (LinearPrecision precision : {LinearPrecision::fp32, LinearPrecision::bf16, LinearPrecision::int8}) {
    PackedLinear lin(W.data(), nullptr, N, K, precision);
    std::vector<float> all(M * N);
    lin.forward(x.data(), M, all.data());
    for (int64_t start : {0, 5, 17})
      for (int64_t rows : {1, 7, 12}) {
        if (start + rows > M) continue;
        std::vector<float> part(rows * N);
        lin.forward(x.data() + start * K, rows, part.data());
        expect_close(part, std::vector<float>(all.begin() + start * N, all.begin() + (start + rows) * N), 0, 0,
                     tag(std::string(precision_name(precision)) + " rows " + std::to_string(start)));
      }
  }
}

TEST_P(PerIsa, AttentionMatchesReferenceWithMasks) {
  const float ninf = -std::numeric_limits<float>::infinity();
  struct Case { int64_t Tq, Tk, H, D; bool causal, key_bias, score_bias, all_masked = false; };
  const Case cases[] = {
      {16, 16, 16, 64, false, true, false}, {1, 1, 2, 8, false, false, false},   {3, 17, 3, 20, true, true, true},
      {17, 17, 4, 64, true, false, false},  {5, 40, 2, 33, true, true, false},   {33, 7, 2, 64, false, false, true},
      {64, 64, 16, 64, false, true, true},  {1, 70, 3, 64, true, true, false},  {150, 200, 2, 32, true, true, true},
      {130, 130, 2, 16, true, false, false},
      // Non-causal, 5..128 queries: scores kept transposed (a MiniLM sentence; partial head
      // widths; one key; the last query count of that path and the first past it; every key masked).
      {28, 28, 12, 32, false, false, false}, {5, 40, 2, 33, false, true, false}, {20, 1, 2, 8, false, false, false},
      {128, 9, 2, 16, false, true, false},   {129, 20, 1, 32, false, true, false},
      {7, 6, 2, 16, false, true, false, true},
      // Scratch past what a thread keeps between calls (attention_batch's kKeptScratch).
      {2100, 2100, 1, 8, true, true, false},
  };
  for (const Case& c : cases) {
    int64_t hd = c.H * c.D, qs = hd + 3, ks = hd + 5, vs = 2 * hd, os = hd + 1;
    std::vector<float> q = random_vec(c.Tq * qs, -1, 1, 61), k = random_vec(c.Tk * ks, -1, 1, 62),
                       v = random_vec(c.Tk * vs, -1, 1, 63), kb = random_vec(c.Tk, -1, 1, 64),
                       sb = random_vec(c.H * c.Tq * c.Tk, -1, 1, 65);
    if (c.Tk > 2) kb[1] = ninf, kb[c.Tk - 1] = ninf;
    if (c.all_masked) kb.assign(c.Tk, ninf);
    std::vector<float> got(c.Tq * os, 7.f), want = got;
    AttentionArgs a;
    a.q = q.data(), a.q_stride = qs, a.k = k.data(), a.k_stride = ks, a.v = v.data(), a.v_stride = vs;
    a.Tq = c.Tq, a.Tk = c.Tk, a.H = c.H, a.D = c.D, a.scale = 1.f / std::sqrt(float(c.D)), a.causal = c.causal;
    a.key_bias = c.key_bias ? kb.data() : nullptr;
    a.score_bias = c.score_bias ? sb.data() : nullptr;
    a.out = got.data(), a.out_stride = os;
    kernels::attention(a);
    a.out = want.data();
    ref::attention(a);
    expect_close(got, want, 1e-5f, 1e-5f, tag("attention Tq=" + std::to_string(c.Tq) + " Tk=" + std::to_string(c.Tk)));
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, PerIsa, ::testing::Values(CpuIsa::scalar, CpuIsa::avx2, CpuIsa::avx512),
                         [](const auto& info) { return std::string(cpu_isa_name(info.param)); });

TEST(KernelsIsa, ParsesNamesAndRejectsUnknown) {
  EXPECT_EQ(parse_cpu_isa("avx2"), CpuIsa::avx2);
  EXPECT_EQ(parse_cpu_isa("scalar"), CpuIsa::scalar);
  EXPECT_THROW(parse_cpu_isa("sse9"), Error);
  EXPECT_TRUE(cpu_supports(CpuIsa::scalar));
  EXPECT_TRUE(cpu_supports(get_cpu_isa()));
}

TEST(KernelsThreads, SingleThreadGivesSameResults) {
  std::vector<float> x = random_vec(1 << 17, -4, 4, 71), y = x;
  kernels::gelu(x.data(), static_cast<int64_t>(x.size()));
  {
    const test::ScopedThreadCount one(1);
    EXPECT_EQ(num_threads(), 1);
    kernels::gelu(y.data(), static_cast<int64_t>(y.size()));
  }
  expect_close(y, x, 0, 0, "gelu threads");
}

TEST(KernelsPackedLinear, DefaultConstructedRefusesForward) {
  PackedLinear empty;
  float y = 0;
  EXPECT_THROW(empty.forward(&y, 1, &y), Error);
  EXPECT_THROW(PackedLinear(&y, nullptr, 0, 1), Error);
}

}  // namespace

namespace {

TEST(KernelsPackedLinear, Bf16StaysCloseToFp32) {
  const int64_t M = 64, N = 1024, K = 1024;
  std::vector<float> W = random_vec(N * K, -0.05f, 0.05f, 81), b = random_vec(N, -1, 1, 82),
                     x = random_vec(M * K, -2, 2, 83), y32(M * N), y16(M * N);
  PackedLinear fp32(W.data(), b.data(), N, K), bf16(W.data(), b.data(), N, K, LinearPrecision::bf16);
  EXPECT_EQ(fp32.precision(), LinearPrecision::fp32);
  if (__builtin_cpu_supports("avx512bf16") && get_cpu_isa() == CpuIsa::avx512) {
    EXPECT_EQ(bf16.precision(), LinearPrecision::bf16);
  }
  fp32.forward(x.data(), M, y32.data());
  bf16.forward(x.data(), M, y16.data());
  float max_abs = 0, max_diff = 0;
  for (size_t i = 0; i < y32.size(); ++i) {
    max_abs = std::max(max_abs, std::fabs(y32[i]));
    max_diff = std::max(max_diff, std::fabs(y32[i] - y16[i]));
  }
  // Two bf16 roundings (2^-9 relative each) over K random-sign terms stay far below 1% of the range.
  EXPECT_LT(max_diff, 1e-2f * max_abs) << "max |fp32 - bf16| " << max_diff << " of max |y| " << max_abs;
  RecordProperty("bf16_max_abs_drift", std::to_string(max_diff));
  std::printf("bf16 PackedLinear (%ld,%ld,%ld): max |y_fp32 - y_bf16| = %.3g, max |y| = %.3g\n", long(M), long(N),
              long(K), max_diff, max_abs);
}

}  // namespace

namespace {

TEST(KernelsPackedLinear, ConcurrentForwardsWithDifferentRowCounts) {
  const int64_t N = 70, K = 90;
  std::vector<float> W = random_vec(N * K, -1, 1, 91), b = random_vec(N, -1, 1, 92);
  PackedLinear lin(W.data(), b.data(), N, K);
  auto run = [&](int64_t M, unsigned seed, float* max_err) {
    // Buffers sized for M + 2 rows: the loop varies M so threads also race on cache insertions.
    std::vector<float> x = random_vec((M + 2) * K, -1, 1, seed), got((M + 2) * N), want(M * N);
    for (int rep = 0; rep < 20; ++rep) lin.forward(x.data(), M + rep % 3, got.data());
    lin.forward(x.data(), M, got.data());
    got.resize(M * N);
    ref::linear(x.data(), W.data(), b.data(), want.data(), M, K, N);
    for (size_t i = 0; i < got.size(); ++i) *max_err = std::max(*max_err, std::fabs(got[i] - want[i]));
  };
  float e1 = 0, e2 = 0;
  std::thread t1(run, 17, 93u, &e1), t2(run, 5, 94u, &e2);
  t1.join();
  t2.join();
  EXPECT_LT(e1, 1e-4f);
  EXPECT_LT(e2, 1e-4f);
}

}  // namespace

namespace {

// The AVX-512 activation converters give the reference converters' words exactly: odd lengths,
// NaN, values that round across bf16 ties and the ±127 clamp.
TEST(KernelsPackedLinear, Avx512ActivationConvertersMatchReference) {
  if (!cpu_supports(CpuIsa::avx512) || !__builtin_cpu_supports("avx512bf16") || !__builtin_cpu_supports("avx512vnni"))
    GTEST_SKIP() << "CPU lacks AVX512-BF16 or AVX512-VNNI";
  for (int64_t K : {1, 5, 31, 33, 64, 1001}) {
    std::vector<float> x = random_vec(K, -3, 3, 131 + K);
    if (K > 4) x[1] = std::numeric_limits<float>::quiet_NaN(), x[2] = 1.00390625f, x[3] = -0.f;
    const int64_t pairs = (K + 1) / 2, quads = (K + 3) / 4;
    std::vector<uint32_t> want(pairs), got(pairs);
    gemm::reference_row_bf16(x.data(), K, pairs, want.data());
    gemm::avx512_row_bf16(x.data(), K, pairs, got.data());
    EXPECT_EQ(got, want) << "bf16 K=" << K;
    want.assign(quads, 0), got.assign(quads, 0);
    const float scale_want = gemm::reference_row_int8(x.data(), K, quads, want.data());
    const float scale_got = gemm::avx512_row_int8(x.data(), K, quads, got.data());
    EXPECT_EQ(got, want) << "int8 K=" << K;
    EXPECT_EQ(scale_got, scale_want) << "int8 K=" << K;
  }
}

}  // namespace
