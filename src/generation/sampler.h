#pragma once
// Drawing tokens: argmax (greedy), multinomial over probabilities (sampling), and sampling without
// replacement (beam sampling), from a seeded generator whose stream is the same on every platform.
#include <cstdint>
#include <random>
#include <vector>

namespace lmpipe::generation {

class Sampler {
 public:
  explicit Sampler(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // torch.multinomial(probs, 1): an index drawn with probability probs[i] / sum(probs).
  int64_t multinomial(const float* probs, int64_t n);
  // torch.multinomial(softmax(log_weights), k) without replacement: k distinct indices, in the
  // order drawn (Gumbel-top-k, which has that distribution).
  std::vector<int64_t> sample_without_replacement(const float* log_weights, int64_t n, int64_t k);

 private:
  std::mt19937_64 engine_;
};

// torch.argmax: the first index of the highest score.
int64_t argmax(const float* scores, int64_t n);

}  // namespace lmpipe::generation
