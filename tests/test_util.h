#pragma once
// Shared helpers for tests: fixture paths, tolerant float comparison, the kernels' thread count.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "kernels/kernels.h"

namespace lmpipe::test {

inline std::filesystem::path fixtures() { return LMPIPE_FIXTURES_DIR; }
inline std::filesystem::path golden_model(const std::string& name) { return fixtures() / "goldens/models" / name; }
// Every Hub-style repository under goldens/models, sorted: each folder with a config.json, and
// the repositories one level down in a folder without one (tiny-sentence-variants).
inline std::vector<std::filesystem::path> golden_model_dirs() {
  std::vector<std::filesystem::path> dirs;
  for (const auto& entry : std::filesystem::directory_iterator(fixtures() / "goldens/models")) {
    if (!entry.is_directory()) continue;
    if (std::filesystem::exists(entry.path() / "config.json")) {
      dirs.push_back(entry.path());
      continue;
    }
    for (const auto& inner : std::filesystem::directory_iterator(entry.path()))
      if (std::filesystem::exists(inner.path() / "config.json")) dirs.push_back(inner.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}
inline std::filesystem::path golden_tokenizer(const std::string& name) { return fixtures() / "goldens/tokenizers" / name; }

// |a - b| <= atol + rtol * |b|, as the goldens' README suggests.
inline bool close(double a, double b, double atol = 1e-4, double rtol = 1e-3) {
  double d = a > b ? a - b : b - a;
  return d <= atol + rtol * (b < 0 ? -b : b);
}

// The kernels' thread count set to n for the guard's lifetime, restored also when a test throws.
class ScopedThreadCount {
 public:
  explicit ScopedThreadCount(int n) : saved_(kernels::num_threads()) { kernels::set_num_threads(n); }
  ~ScopedThreadCount() { kernels::set_num_threads(saved_); }
  ScopedThreadCount(const ScopedThreadCount&) = delete;
  ScopedThreadCount& operator=(const ScopedThreadCount&) = delete;

 private:
  int saved_;
};

}  // namespace lmpipe::test
