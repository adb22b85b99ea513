#pragma once
// Shared helpers for tests: fixture paths and tolerant float comparison.
#include <filesystem>
#include <string>

namespace lmpipe::test {

inline std::filesystem::path fixtures() { return LMPIPE_FIXTURES_DIR; }
inline std::filesystem::path golden_model(const std::string& name) { return fixtures() / "goldens/models" / name; }
inline std::filesystem::path golden_tokenizer(const std::string& name) { return fixtures() / "goldens/tokenizers" / name; }

// |a - b| <= atol + rtol * |b|, as the goldens' README suggests.
inline bool close(double a, double b, double atol = 1e-4, double rtol = 1e-3) {
  double d = a > b ? a - b : b - a;
  return d <= atol + rtol * (b < 0 ? -b : b);
}

}  // namespace lmpipe::test
