#pragma once
// Buffers whose first element starts a cache line, and large ones on huge pages.
// glibc's large blocks start 16 bytes past a page, so a std::vector<float> activation made every
// 64-byte load and store of the SIMD kernels (and the GEMM tiles' writes of C) straddle two cache
// lines. A layer's activations are rows a few KB apart (MiniLM's fused q/k/v: 4.6 KB), each row on
// its own 4 KB page; on 2 MB pages MiniLM's embeddings ran 1-4 % faster.
#include <cstddef>
#include <new>
#include <vector>

namespace lmpipe {

// From kHugeBytes on: 2 MB aligned, transparent huge pages asked for over the bytes used (madvise;
// the kernel may still say no). Not over the rest of the last 2 MB: touched once, a huge page is
// resident whole, and bert-base's packed weights took 129 MB more. Below: 64-byte aligned.
// Release with free_aligned and the same byte count.
inline constexpr size_t kHugeBytes = size_t{2} << 20;
void* allocate_aligned(size_t bytes);
void free_aligned(void* p, size_t bytes);

template <class T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(allocate_aligned(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { free_aligned(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
};

using AlignedFloats = std::vector<float, CacheLineAllocator<float>>;

}  // namespace lmpipe
