#pragma once
// Buffers whose first element starts a cache line. glibc's large blocks start 16 bytes past a
// page, so a std::vector<float> activation made every 64-byte load and store of the SIMD
// kernels (and the GEMM tiles' writes of C) straddle two cache lines.
#include <cstddef>
#include <new>
#include <vector>

namespace lmpipe {

template <class T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, size_t) { ::operator delete(p, kAlign); }
  template <class U>
  bool operator==(const CacheLineAllocator<U>&) const { return true; }
};

using AlignedFloats = std::vector<float, CacheLineAllocator<float>>;

}  // namespace lmpipe
