// The kernels' thread count: LMPIPE_NUM_THREADS, else (unset, empty or 0) what OpenMP reports for
// the hardware.
#include "kernels/threads.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "kernels/kernels.h"
#include "util/error.h"

namespace lmpipe::kernels {
namespace {
std::atomic<int>& threads() {
  static std::atomic<int> n{[] {
    const char* env = std::getenv("LMPIPE_NUM_THREADS");
    if (!env || !*env) return omp_get_max_threads();
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(env, &end, 10);
    if (*end != '\0' || errno != 0 || v < 0 || v > 4096)
      throw Error("LMPIPE_NUM_THREADS='" + std::string(env) +
                  "': expected a thread count from 1 to 4096, or 0 for all cores");
    return v == 0 ? omp_get_max_threads() : static_cast<int>(v);
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
