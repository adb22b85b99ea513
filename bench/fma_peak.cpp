// The machine's FMA rate right now: independent register-only FMA chains, on 1 thread and on 2
// at once. This VM's clock moves by 20 % and more between hours (3.3-4.1 GHz seen), so every
// bench/run_*.sh prints this line next to its figures: efficiency = achieved / this peak.
//   fma_peak [seconds]
// fp32 AVX-512 (or AVX2) vfmadd231ps; bf16 vdpbf16ps and int8 vpdpbusd issue at the same rate
// here with 2x and 4x the multiply-adds per instruction.
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

// 16 independent accumulators: enough to cover the FMA latency on both FMA pipes.
#define LMPIPE_FMA16(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define LMPIPE_ZMM(i) "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #i "\n"
#define LMPIPE_YMM(i) "vfmadd231ps %%ymm14, %%ymm15, %%ymm" #i "\n"

__attribute__((target("avx512f"))) void fma_zmm(long iterations) {
  for (long i = 0; i < iterations; ++i) asm volatile(LMPIPE_FMA16(LMPIPE_ZMM)::: "memory");
}
__attribute__((target("avx2,fma"))) void fma_ymm(long iterations) {
  // 14 accumulators: ymm14/15 are the operands.
  for (long i = 0; i < iterations; ++i)
    asm volatile(LMPIPE_YMM(0) LMPIPE_YMM(1) LMPIPE_YMM(2) LMPIPE_YMM(3) LMPIPE_YMM(4) LMPIPE_YMM(5) LMPIPE_YMM(6)
                     LMPIPE_YMM(7) LMPIPE_YMM(8) LMPIPE_YMM(9) LMPIPE_YMM(10) LMPIPE_YMM(11) LMPIPE_YMM(12)
                         LMPIPE_YMM(13)::: "memory");
}

struct Kind {
  const char* name;
  void (*run)(long);
  int instructions;  // per iteration
  double flops;      // per instruction
};

// GFLOP/s of `threads` threads running the loop for about `seconds`.
double rate(const Kind& kind, int threads, double seconds) {
  long iterations = 1 << 16;
  for (;;) {  // grow until one pass takes a tenth of the time
    const auto t0 = std::chrono::steady_clock::now();
    kind.run(iterations);
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds / 10) break;
    iterations *= 2;
  }
  iterations *= 10;
  std::vector<std::thread> pool;
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) pool.emplace_back([&] { kind.run(iterations); });
  for (auto& t : pool) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return threads * iterations * kind.instructions * kind.flops / elapsed / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 0.3;
  const Kind kind = __builtin_cpu_supports("avx512f") ? Kind{"AVX-512", fma_zmm, 16, 32.0} : Kind{"AVX2", fma_ymm, 14, 16.0};
  const double one = rate(kind, 1, seconds), two = rate(kind, 2, seconds);
  std::printf("fp32 FMA peak now (%s, registers only): %.0f GFLOP/s on 1 thread, %.0f on 2 (%.2f G FMA instructions/s per thread)\n",
              kind.name, one, two, one / kind.flops);
  return 0;
}
