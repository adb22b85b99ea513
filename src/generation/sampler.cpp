#include "generation/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "util/error.h"

namespace lmpipe::generation {

int64_t argmax(const float* scores, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (scores[i] > scores[best] || (std::isnan(scores[i]) && !std::isnan(scores[best]))) best = i;
  return best;
}

int64_t Sampler::multinomial(const float* probs, int64_t n) {
  double total = 0;
  for (int64_t i = 0; i < n; ++i) total += probs[i];
  if (!(total > 0) || !std::isfinite(total))
    throw Error("sampling: the probabilities sum to " + std::to_string(total) + " (every token was removed, or a NaN)");
  const double target = uniform() * total;
  double cumulative = 0;
  int64_t last_positive = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (probs[i] <= 0) continue;
    cumulative += probs[i];
    last_positive = i;
    if (target < cumulative) return i;
  }
  return last_positive;  // rounding at the very top of the range
}

std::vector<int64_t> Sampler::sample_without_replacement(const float* log_weights, int64_t n, int64_t k) {
  // Perturbing log-weights with Gumbel noise and keeping the k largest draws k items without
  // replacement, each step proportionally to the remaining weights.
  std::vector<double> keys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const double u = std::max(uniform(), std::numeric_limits<double>::min());
    keys[i] = log_weights[i] == -std::numeric_limits<float>::infinity() ? -std::numeric_limits<double>::infinity()
                                                                         : log_weights[i] - std::log(-std::log(u));
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  const int64_t top = std::min(k, n);
  std::partial_sort(order.begin(), order.begin() + top, order.end(),
                    [&](int64_t a, int64_t b) { return keys[a] > keys[b] || (keys[a] == keys[b] && a < b); });
  order.resize(static_cast<size_t>(top));
  return order;
}

}  // namespace lmpipe::generation
