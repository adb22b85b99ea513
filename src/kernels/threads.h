#pragma once
// Internal: the thread count every kernel and oneDNN share.
namespace lmpipe::kernels {

// Makes the calling thread's OpenMP team size equal num_threads(). oneDNN (OpenMP build) sizes
// its parallel regions from omp_get_max_threads() of the calling thread, so call this before
// executing a oneDNN primitive.
void sync_omp_threads();

}  // namespace lmpipe::kernels
