// Port of transformers v5 generation/logits_process.py: the processors generate() builds from a
// GenerationConfig, over one row of scores at a time.
#include "generation/logits_processors.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "util/error.h"

namespace lmpipe::generation {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

void ban(float* scores, int64_t vocab, int64_t id) {
  if (id >= 0 && id < vocab) scores[id] = kNegInf;
}

}  // namespace

void apply_processors(const LogitsProcessorList& processors, const TokenRows& ids, float* scores, int64_t vocab) {
  for (const auto& p : processors) p->apply(ids, scores, vocab);
}

void softmax(const float* x, float* probs, int64_t vocab) {
  float max = kNegInf;
  for (int64_t v = 0; v < vocab; ++v) max = std::max(max, x[v]);
  if (max == kNegInf) {
    std::fill(probs, probs + vocab, 0.f);
    return;
  }
  double sum = 0;
  for (int64_t v = 0; v < vocab; ++v) sum += probs[v] = std::exp(x[v] - max);
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t v = 0; v < vocab; ++v) probs[v] *= inv;
}

void log_softmax_inplace(float* x, int64_t vocab) {
  float max = kNegInf;
  for (int64_t v = 0; v < vocab; ++v) max = std::max(max, x[v]);
  if (max == kNegInf) return;
  double sum = 0;
  for (int64_t v = 0; v < vocab; ++v) sum += std::exp(x[v] - max);
  const float log_sum = static_cast<float>(std::log(sum));
  for (int64_t v = 0; v < vocab; ++v) x[v] = x[v] - max - log_sum;
}

// RepetitionPenaltyLogitsProcessor.__call__: gather, rescale, scatter (a repeated id is hit once).
void RepetitionPenalty::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  std::vector<int32_t> seen;
  for (int64_t r = 0; r < ids.rows; ++r) {
    seen.assign(ids.row(r), ids.row(r) + ids.length);
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    float* s = scores + r * vocab;
    for (int32_t id : seen) {
      if (id < 0 || id >= vocab) continue;
      s[id] = s[id] < 0 ? s[id] * penalty_ : s[id] / penalty_;
    }
  }
}

// NoRepeatNGramLogitsProcessor (_calc_banned_ngram_tokens): every earlier n-gram whose first n-1
// ids equal the row's last n-1 ids bans its last id.
void NoRepeatNGram::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  const int64_t len = ids.length, n = n_;
  if (len + 1 < n) return;
  for (int64_t r = 0; r < ids.rows; ++r) {
    const int32_t* row = ids.row(r);
    const int32_t* prefix = row + len - (n - 1);
    for (int64_t start = 0; start + n <= len; ++start)
      if (std::equal(prefix, prefix + n - 1, row + start)) ban(scores + r * vocab, vocab, row[start + n - 1]);
  }
}

NoBadWords::NoBadWords(const std::vector<std::vector<int64_t>>& bad_words_ids, const std::vector<int64_t>& eos,
                       int64_t vocab) {
  for (const auto& words : bad_words_ids) {
    if (words.size() == 1 && std::find(eos.begin(), eos.end(), words[0]) != eos.end()) continue;
    for (int64_t id : words)
      if (id < 0 || id >= vocab)
        throw Error("bad_words_ids: token id " + std::to_string(id) + " is outside the model's vocabulary (size " +
                    std::to_string(vocab) + ")");
    if (words.size() == 1) single_.push_back(static_cast<int32_t>(words[0]));
    else sequences_.emplace_back(words.begin(), words.end());
  }
}

// SequenceBiasLogitsProcessor.__call__ with a bias of -inf.
void NoBadWords::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  for (int64_t r = 0; r < ids.rows; ++r) {
    float* s = scores + r * vocab;
    for (int32_t id : single_) s[id] = kNegInf;
    for (const auto& words : sequences_) {
      const int64_t prefix = static_cast<int64_t>(words.size()) - 1;
      if (prefix + 1 > ids.length) continue;  // longer than the context, as transformers skips it
      if (std::equal(words.begin(), words.end() - 1, ids.row(r) + ids.length - prefix)) s[words.back()] = kNegInf;
    }
  }
}

void MinLength::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  if (ids.length >= min_length_) return;
  for (int64_t r = 0; r < ids.rows; ++r)
    for (int64_t eos : eos_) ban(scores + r * vocab, vocab, eos);
}

void MinNewTokens::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  if (ids.length - prompt_length_ >= min_new_tokens_) return;
  for (int64_t r = 0; r < ids.rows; ++r)
    for (int64_t eos : eos_) ban(scores + r * vocab, vocab, eos);
}

void ForcedBOS::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  if (ids.length != 1) return;
  for (int64_t r = 0; r < ids.rows; ++r) {
    float* s = scores + r * vocab;
    std::fill(s, s + vocab, kNegInf);
    if (bos_ < vocab) s[bos_] = 0.f;
  }
}

void ForcedEOS::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  if (ids.length != max_length_ - 1) return;
  for (int64_t r = 0; r < ids.rows; ++r) {
    float* s = scores + r * vocab;
    std::fill(s, s + vocab, kNegInf);
    for (int64_t eos : eos_)
      if (eos < vocab) s[eos] = 0.f;
  }
}

void SuppressTokens::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  for (int64_t r = 0; r < ids.rows; ++r)
    for (int64_t id : tokens_) ban(scores + r * vocab, vocab, id);
}

void SuppressTokensAtBegin::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  if (ids.length != begin_index_) return;
  for (int64_t r = 0; r < ids.rows; ++r)
    for (int64_t id : tokens_) ban(scores + r * vocab, vocab, id);
}

void Temperature::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  for (int64_t i = 0; i < ids.rows * vocab; ++i) scores[i] /= temperature_;
}

void TopK::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  const int64_t k = std::min(k_, vocab);
  std::vector<float> sorted(static_cast<size_t>(vocab));
  for (int64_t r = 0; r < ids.rows; ++r) {
    float* s = scores + r * vocab;
    sorted.assign(s, s + vocab);
    std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<float>());
    const float kth = sorted[k - 1];
    for (int64_t v = 0; v < vocab; ++v)
      if (s[v] < kth) s[v] = kNegInf;
  }
}

// TopPLogitsWarper.__call__ removes the longest low tail (ascending order) whose cumulative
// probability is <= 1 - top_p. Equivalently, the top tokens stay until their mass reaches top_p;
// that is found by sorting only as much of the head of the distribution as it takes.
void TopP::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  std::vector<int32_t> order(static_cast<size_t>(vocab));
  std::vector<float> probs(static_cast<size_t>(vocab));
  for (int64_t r = 0; r < ids.rows; ++r) {
    float* s = scores + r * vocab;
    softmax(s, probs.data(), vocab);
    std::iota(order.begin(), order.end(), 0);
    auto higher = [&](int32_t a, int32_t b) { return probs[a] > probs[b] || (probs[a] == probs[b] && a < b); };
    int64_t kept = 0, sorted = 0;
    double mass = 0;
    while (kept < vocab && (kept < min_keep_ || mass < top_p_)) {
      if (kept == sorted) {  // sort the next stretch of the head
        const int64_t more = std::min(vocab, std::max<int64_t>(256, 4 * sorted));
        std::partial_sort(order.begin() + sorted, order.begin() + more, order.end(), higher);
        sorted = more;
      }
      mass += probs[order[kept++]];
    }
    for (int64_t i = kept; i < vocab; ++i) s[order[i]] = kNegInf;
  }
}

// MinPLogitsWarper.__call__.
void MinP::apply(const TokenRows& ids, float* scores, int64_t vocab) const {
  std::vector<float> probs(static_cast<size_t>(vocab));
  std::vector<int32_t> order(static_cast<size_t>(vocab));
  std::vector<char> remove(static_cast<size_t>(vocab));
  for (int64_t r = 0; r < ids.rows; ++r) {
    float* s = scores + r * vocab;
    softmax(s, probs.data(), vocab);
    const float threshold = min_p_ * *std::max_element(probs.begin(), probs.end());
    for (int64_t v = 0; v < vocab; ++v) remove[v] = probs[v] < threshold;
    // The min_tokens_to_keep highest scores always stay.
    const int64_t keep = std::min(min_keep_, vocab);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                      [&](int32_t a, int32_t b) { return s[a] > s[b] || (s[a] == s[b] && a < b); });
    for (int64_t i = 0; i < keep; ++i) remove[order[i]] = 0;
    for (int64_t v = 0; v < vocab; ++v)
      if (remove[v]) s[v] = kNegInf;
  }
}

}  // namespace lmpipe::generation
