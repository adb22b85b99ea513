#pragma once
// Comparisons of fill-mask outputs and vocabulary logits against the autoencoding goldens: ids,
// tokens and order exact; scores within 1e-5; logits within 1e-4.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "model_test_util.h"
#include "models/model.h"
#include "test_util.h"
#include "util/json.h"

namespace lmpipe::test {

// One mask's candidates: token ids, token_str and sequence exact, in order; scores within 1e-5.
inline void expect_candidates(const json& got, const json& want, const std::string& where) {
  ASSERT_TRUE(got.is_array()) << where;
  ASSERT_EQ(got.size(), want.size()) << where;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i]["token"], want[i]["token"]) << where << " #" << i;
    EXPECT_EQ(got[i]["token_str"], want[i]["token_str"]) << where << " #" << i;
    EXPECT_EQ(got[i]["sequence"], want[i]["sequence"]) << where << " #" << i;
    EXPECT_NEAR(got[i]["score"].get<double>(), want[i]["score"].get<double>(), 1e-5) << where << " #" << i;
  }
}

// A fill-mask output: a list of candidates for one mask, a list of such lists for several.
inline void expect_fill_mask(const json& got, const json& want, const std::string& where) {
  ASSERT_TRUE(got.is_array() && want.is_array()) << where;
  if (!want.empty() && want[0].is_array()) {
    ASSERT_EQ(got.size(), want.size()) << where;
    for (size_t m = 0; m < want.size(); ++m) expect_candidates(got[m], want[m], where + " mask " + std::to_string(m));
  } else {
    expect_candidates(got, want, where);
  }
}

// One position's logits over the vocabulary against the golden's summary of them: the top ids
// in order and their values (1e-4), the sum and the sum of squares.
inline void expect_vocab_summary(const float* row, int64_t V, const json& want, const std::string& where) {
  std::vector<int64_t> order(static_cast<size_t>(V));
  for (int64_t v = 0; v < V; ++v) order[static_cast<size_t>(v)] = v;
  const size_t k = want["top_ids"].size();
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](int64_t a, int64_t b) { return row[a] > row[b]; });
  double sum = 0, sumsq = 0;
  for (int64_t v = 0; v < V; ++v) sum += row[v], sumsq += double(row[v]) * row[v];
  for (size_t i = 0; i < k; ++i) {
    EXPECT_EQ(order[i], want["top_ids"][i].get<int64_t>()) << where << " rank " << i;
    EXPECT_NEAR(row[order[i]], want["top_values"][i].get<double>(), 1e-4) << where << " rank " << i;
  }
  EXPECT_TRUE(close(sum, want["sum"].get<double>())) << where << ": sum " << sum;
  EXPECT_TRUE(close(sumsq, want["sumsq"].get<double>())) << where << ": sumsq " << sumsq;
}

// A masked-LM repository's logits at every position of the golden's input, against its summaries.
inline void expect_mlm_logits(const std::filesystem::path& dir, const json& mlm) {
  const auto model = load_masked_lm(dir);
  const Batch batch = golden_batch(mlm);
  std::vector<int64_t> positions(static_cast<size_t>(batch.seq_len));
  for (int64_t t = 0; t < batch.seq_len; ++t) positions[static_cast<size_t>(t)] = t;
  const Tensor logits = model->logits_at(batch, positions);
  const int64_t V = model->vocab_size();
  ASSERT_EQ(logits.shape(), (Shape{batch.seq_len, V}));
  for (int64_t t = 0; t < batch.seq_len; ++t)
    expect_vocab_summary(logits.data() + t * V, V, mlm["per_position"][t], "position " + std::to_string(t));
}

}  // namespace lmpipe::test
