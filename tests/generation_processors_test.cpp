// Each logits processor / warper on hand-made scores, as transformers' logits_process.py defines it,
// and the KV cache's beam reordering.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "generation/logits_processors.h"
#include "generation/stopping.h"
#include "models/kv_cache.h"
#include "model_test_util.h"

using namespace lmpipe;
using namespace lmpipe::generation;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// One row of ids; the scores after `p`.
std::vector<float> run(const LogitsProcessor& p, std::vector<int32_t> ids, std::vector<float> scores) {
  const TokenRows rows{ids.data(), 1, static_cast<int64_t>(ids.size()), static_cast<int64_t>(ids.size())};
  p.apply(rows, scores.data(), static_cast<int64_t>(scores.size()));
  return scores;
}

TEST(LogitsProcessors, RepetitionPenaltyDividesPositiveMultipliesNegativeOnce) {
  EXPECT_EQ(run(RepetitionPenalty(2.0), {0, 1, 0}, {1.f, -1.f, 2.f, 0.5f}), (std::vector<float>{0.5f, -2.f, 2.f, 0.5f}));
}

TEST(LogitsProcessors, NoRepeatNGramBansCompletions) {
  const std::vector<float> zeros(6, 0.f);
  EXPECT_EQ(run(NoRepeatNGram(2), {1, 2, 3, 1}, zeros), (std::vector<float>{0, 0, -kInf, 0, 0, 0}));
  EXPECT_EQ(run(NoRepeatNGram(3), {1, 2, 3, 1, 2}, zeros), (std::vector<float>{0, 0, 0, -kInf, 0, 0}));
  EXPECT_EQ(run(NoRepeatNGram(3), {1}, zeros), zeros);                                   // shorter than n - 1
  EXPECT_EQ(run(NoRepeatNGram(1), {4, 2}, zeros), (std::vector<float>{0, 0, -kInf, 0, -kInf, 0}));  // every seen id
}

TEST(LogitsProcessors, NoBadWordsSingleAndSequences) {
  const NoBadWords bad({{4}, {1, 5}, {0}}, /*eos=*/{0}, /*vocab=*/6);  // [eos] is dropped
  const std::vector<float> zeros(6, 0.f);
  EXPECT_EQ(run(bad, {2, 1}, zeros), (std::vector<float>{0, 0, 0, 0, -kInf, -kInf}));
  EXPECT_EQ(run(bad, {1, 2}, zeros), (std::vector<float>{0, 0, 0, 0, -kInf, 0}));
  EXPECT_THAT(test::error_of([] { NoBadWords({{9}}, {}, 6); }), ::testing::HasSubstr("outside the model's vocabulary"));
}

TEST(LogitsProcessors, LengthConstraintsAndForcedTokens) {
  const std::vector<float> s = {1, 2, 3, 4};
  EXPECT_EQ(run(MinLength(3, {1, 2}), {0, 0}, s), (std::vector<float>{1, -kInf, -kInf, 4}));
  EXPECT_EQ(run(MinLength(3, {1, 2}), {0, 0, 0}, s), s);
  EXPECT_EQ(run(MinNewTokens(2, 2, {3}), {0, 0, 0}, s), (std::vector<float>{1, 2, 3, -kInf}));
  EXPECT_EQ(run(MinNewTokens(2, 2, {3}), {0, 0, 0, 0}, s), s);
  EXPECT_EQ(run(ForcedBOS(2), {0}, s), (std::vector<float>{-kInf, -kInf, 0, -kInf}));
  EXPECT_EQ(run(ForcedBOS(2), {0, 1}, s), s);
  EXPECT_EQ(run(ForcedEOS(4, {1, 3}), {0, 0, 0}, s), (std::vector<float>{-kInf, 0, -kInf, 0}));
  EXPECT_EQ(run(ForcedEOS(4, {1, 3}), {0, 0}, s), s);
  EXPECT_EQ(run(SuppressTokens({0, 9}), {0}, s), (std::vector<float>{-kInf, 2, 3, 4}));
  EXPECT_EQ(run(SuppressTokensAtBegin({3}, 2), {0, 0}, s), (std::vector<float>{1, 2, 3, -kInf}));
  EXPECT_EQ(run(SuppressTokensAtBegin({3}, 2), {0, 0, 0}, s), s);
}

TEST(LogitsWarpers, TemperatureTopKTopPMinP) {
  EXPECT_EQ(run(Temperature(0.5), {0}, {1, -2}), (std::vector<float>{2, -4}));
  // top-k keeps ties at the k-th value.
  EXPECT_EQ(run(TopK(2, 1), {0}, {3, 2, 2, 1}), (std::vector<float>{3, 2, 2, -kInf}));
  EXPECT_EQ(run(TopK(1, 2), {0}, {3, 2, 2, 1}), (std::vector<float>{3, 2, 2, -kInf}));  // min_tokens_to_keep 2
  // log-probabilities of 0.5, 0.3, 0.15, 0.05: top_p 0.7 keeps 0.5 and 0.3 (0.15 + 0.05 <= 0.3).
  const std::vector<float> logp = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  const auto p = run(TopP(0.7, 1), {0}, logp);
  EXPECT_EQ(p[0], logp[0]);
  EXPECT_EQ(p[1], logp[1]);
  EXPECT_EQ(p[2], -kInf);
  EXPECT_EQ(p[3], -kInf);
  EXPECT_EQ(run(TopP(0.0, 1), {0}, logp)[0], logp[0]);  // the top token always stays
  // min_p 0.5 of the top 0.5: removes probabilities below 0.25.
  const auto m = run(MinP(0.5, 1), {0}, logp);
  EXPECT_EQ(m[1], logp[1]);
  EXPECT_EQ(m[2], -kInf);
}

TEST(StoppingCriteria, EosMaxLengthAndStopStrings) {
  const std::vector<std::string> texts = {"", "Hel", "lo", " wor", "ld", "!"};
  StopStrings stop({"world", "lo w"}, [&](int32_t id) { return texts[id]; });
  const std::vector<int32_t> row = {1, 2, 3, 4, 5};
  EXPECT_FALSE(stop.matches(row.data(), 2));  // "Hello"
  EXPECT_TRUE(stop.matches(row.data(), 3));   // "Hello wor": "lo w" ends inside " wor"
  EXPECT_TRUE(stop.matches(row.data(), 4));   // "... world"
  EXPECT_FALSE(stop.matches(row.data(), 5));  // "!" completes neither
  const StoppingCriteria criteria(4, {5}, nullptr);
  EXPECT_TRUE(criteria.done(row.data(), 4));
  EXPECT_FALSE(criteria.done(row.data(), 3));
  const std::vector<int32_t> eos_row = {1, 5};
  EXPECT_TRUE(criteria.done(eos_row.data(), 2));
}

TEST(KVCache, ReorderAndReplicateCopyRows) {
  KVCache cache(/*layers=*/2, /*rows=*/3, /*capacity=*/4, /*width=*/2);
  // Row r, token t, layer l holds 100·l + 10·r + t (keys) and its negative (values).
  for (int64_t l = 0; l < 2; ++l) {
    std::vector<float> k, v;
    for (int64_t r = 0; r < 3; ++r)
      for (int64_t t = 0; t < 2; ++t)
        for (int c = 0; c < 2; ++c) k.push_back(100.f * l + 10.f * r + t), v.push_back(-(100.f * l + 10.f * r + t));
    cache.write(l, 3, k.data(), v.data(), 2, 2);
  }
  cache.advance(2);
  cache.reorder({2, 0, 0});
  EXPECT_EQ(cache.keys(1)[0 * cache.row_stride() + 2], 121.f);  // row 0, token 1 <- row 2
  EXPECT_EQ(cache.values(0)[1 * cache.row_stride()], -0.f);     // row 1 <- row 0
  EXPECT_EQ(cache.keys(0)[2 * cache.row_stride() + 3], 1.f);    // row 2 <- row 0, token 1
  KVCache beams(1, 4, 2, 1);
  const std::vector<float> k = {7, 8}, v = {-7, -8};
  beams.write(0, 2, k.data(), v.data(), 1, 1);
  beams.advance(1);
  beams.replicate(2);
  EXPECT_EQ((std::vector<float>{beams.keys(0)[0], beams.keys(0)[2], beams.keys(0)[4], beams.keys(0)[6]}),
            (std::vector<float>{7, 7, 8, 8}));
}

}  // namespace
