// The kernels' thread count: LMPIPE_NUM_THREADS, else what OpenMP reports for the hardware.
#include "kernels/threads.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>

#include "kernels/kernels.h"

namespace lmpipe::kernels {
namespace {
std::atomic<int>& threads() {
  static std::atomic<int> n{[] {
    const char* env = std::getenv("LMPIPE_NUM_THREADS");
    int v = env ? std::atoi(env) : 0;
    return v > 0 ? v : omp_get_max_threads();
  }()};
  return n;
}
}  // namespace

int num_threads() { return threads().load(std::memory_order_relaxed); }

void set_num_threads(int n) {
  threads().store(std::max(1, n), std::memory_order_relaxed);
  sync_omp_threads();
}

void sync_omp_threads() {
  int n = num_threads();
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
}

}  // namespace lmpipe::kernels
