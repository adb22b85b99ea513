#pragma once
// transformers' logits processors and warpers (generation/logits_process.py, v5): each rewrites
// the next-token scores of every row in place, given the ids of that row so far. Scores are fp32
// logits (greedy, sampling) or log-probabilities (beam search); -inf bans a token.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace lmpipe::generation {

// The ids of `rows` sequences so far: row r is ids[r·stride, r·stride + length). The prompt (with
// its left padding) for decoder-only models, the decoder start token and what followed for
// encoder-decoder models.
struct TokenRows {
  const int32_t* ids = nullptr;
  int64_t rows = 0, length = 0, stride = 0;
  const int32_t* row(int64_t r) const { return ids + r * stride; }
};

class LogitsProcessor {
 public:
  virtual ~LogitsProcessor() = default;
  // scores: (ids.rows, vocab)
  virtual void apply(const TokenRows& ids, float* scores, int64_t vocab) const = 0;
};

using LogitsProcessorList = std::vector<std::unique_ptr<LogitsProcessor>>;

void apply_processors(const LogitsProcessorList& processors, const TokenRows& ids, float* scores, int64_t vocab);

// RepetitionPenaltyLogitsProcessor: every id already in the row has its score divided by
// `penalty` (multiplied when negative), once however often it occurs.
class RepetitionPenalty : public LogitsProcessor {
 public:
  explicit RepetitionPenalty(double penalty) : penalty_(static_cast<float>(penalty)) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  float penalty_;
};

// NoRepeatNGramLogitsProcessor: bans the tokens that would repeat an n-gram of the row.
class NoRepeatNGram : public LogitsProcessor {
 public:
  explicit NoRepeatNGram(int64_t ngram_size) : n_(ngram_size) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  int64_t n_;
};

// NoBadWordsLogitsProcessor (a SequenceBiasLogitsProcessor of -inf): a one-token entry is always
// banned; a longer one bans its last token when the row ends with the rest. Entries equal to
// [eos] are dropped. Throws lmpipe::Error for ids outside the vocabulary.
class NoBadWords : public LogitsProcessor {
 public:
  NoBadWords(const std::vector<std::vector<int64_t>>& bad_words_ids, const std::vector<int64_t>& eos_token_ids,
             int64_t vocab);
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  std::vector<int32_t> single_;
  std::vector<std::vector<int32_t>> sequences_;
};

// MinLengthLogitsProcessor: no eos while the row is shorter than min_length ids.
class MinLength : public LogitsProcessor {
 public:
  MinLength(int64_t min_length, std::vector<int64_t> eos) : min_length_(min_length), eos_(std::move(eos)) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  int64_t min_length_;
  std::vector<int64_t> eos_;
};

// MinNewTokensLengthLogitsProcessor: no eos before min_new_tokens ids follow the prompt.
class MinNewTokens : public LogitsProcessor {
 public:
  MinNewTokens(int64_t prompt_length, int64_t min_new_tokens, std::vector<int64_t> eos)
      : prompt_length_(prompt_length), min_new_tokens_(min_new_tokens), eos_(std::move(eos)) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  int64_t prompt_length_, min_new_tokens_;
  std::vector<int64_t> eos_;
};

// ForcedBOSTokenLogitsProcessor: the token after the first is `bos`.
class ForcedBOS : public LogitsProcessor {
 public:
  explicit ForcedBOS(int64_t bos) : bos_(bos) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  int64_t bos_;
};

// ForcedEOSTokenLogitsProcessor: the last token (at max_length) is an eos.
class ForcedEOS : public LogitsProcessor {
 public:
  ForcedEOS(int64_t max_length, std::vector<int64_t> eos) : max_length_(max_length), eos_(std::move(eos)) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  int64_t max_length_;
  std::vector<int64_t> eos_;
};

// SuppressTokensLogitsProcessor: these tokens never. Ids outside the vocabulary are ignored.
class SuppressTokens : public LogitsProcessor {
 public:
  explicit SuppressTokens(std::vector<int64_t> tokens) : tokens_(std::move(tokens)) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  std::vector<int64_t> tokens_;
};

// SuppressTokensAtBeginLogitsProcessor: these tokens not as the first generated one (when the
// rows hold `begin_index` ids).
class SuppressTokensAtBegin : public LogitsProcessor {
 public:
  SuppressTokensAtBegin(std::vector<int64_t> tokens, int64_t begin_index)
      : tokens_(std::move(tokens)), begin_index_(begin_index) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  std::vector<int64_t> tokens_;
  int64_t begin_index_;
};

// TemperatureLogitsWarper: scores / temperature.
class Temperature : public LogitsProcessor {
 public:
  explicit Temperature(double temperature) : temperature_(static_cast<float>(temperature)) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  float temperature_;
};

// TopKLogitsWarper: removes scores strictly below the k-th highest (ties at the k-th survive);
// k is at least min_tokens_to_keep.
class TopK : public LogitsProcessor {
 public:
  TopK(int64_t top_k, int64_t min_tokens_to_keep) : k_(std::max(top_k, min_tokens_to_keep)) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  int64_t k_;
};

// TopPLogitsWarper: keeps the smallest set of highest-probability tokens whose mass reaches
// top_p (the low tail whose cumulative probability is <= 1 - top_p goes), at least
// min_tokens_to_keep.
class TopP : public LogitsProcessor {
 public:
  TopP(double top_p, int64_t min_tokens_to_keep) : top_p_(top_p), min_keep_(min_tokens_to_keep) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  double top_p_;
  int64_t min_keep_;
};

// MinPLogitsWarper: removes tokens whose probability is below min_p times the highest one,
// keeping at least min_tokens_to_keep.
class MinP : public LogitsProcessor {
 public:
  MinP(double min_p, int64_t min_tokens_to_keep) : min_p_(static_cast<float>(min_p)), min_keep_(min_tokens_to_keep) {}
  void apply(const TokenRows& ids, float* scores, int64_t vocab) const override;

 private:
  float min_p_;
  int64_t min_keep_;
};

// Row-wise helpers shared with the search loops: softmax and log_softmax of x(vocab) in fp32
// (an all -inf row gives zeros / -inf).
void softmax(const float* x, float* probs, int64_t vocab);
void log_softmax_inplace(float* x, int64_t vocab);

}  // namespace lmpipe::generation
