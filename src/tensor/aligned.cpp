#include "tensor/aligned.h"

#include <sys/mman.h>

#include <cstdlib>

namespace lmpipe {

namespace {
constexpr std::align_val_t kCacheLine{64};
}

void* allocate_aligned(size_t bytes) {
  if (bytes < kHugeBytes) return ::operator new(bytes, kCacheLine);
  void* p = std::aligned_alloc(kHugeBytes, (bytes + kHugeBytes - 1) / kHugeBytes * kHugeBytes);
  if (!p) throw std::bad_alloc();
  ::madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

void free_aligned(void* p, size_t bytes) {
  if (bytes < kHugeBytes) return ::operator delete(p, kCacheLine);
  std::free(p);
}

}  // namespace lmpipe
