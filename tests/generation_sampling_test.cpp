// Sampling cannot reproduce PyTorch's random stream, so its semantics are tested instead (on the
// tiny GPT-2): top_k=1 is greedy, a seed reproduces its output, the first sampled token follows the
// processed softmax (chi-square), and top_p never samples outside the nucleus.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "generation/logits_processors.h"
#include "generation_test_util.h"
#include "models/gpt2.h"

using namespace lmpipe;

namespace {

const char* kModel = "tiny-gpt2-bf16";

std::vector<int32_t> prompt() {
  return test::ids_of(test::golden_expected(kModel)["greedy"]["public"][0]["input_ids"][0]);
}

// The first token of `samples` sampled continuations (num_return_sequences rows per call).
std::vector<int32_t> first_tokens(const json& kwargs, int calls, int per_call) {
  std::vector<int32_t> tokens;
  for (int seed = 1; seed <= calls; ++seed) {
    json k = kwargs;
    k["do_sample"] = true;
    k["max_new_tokens"] = 1;
    k["num_return_sequences"] = per_call;
    k["seed"] = seed;
    generation::GenerateOutput out;
    test::generate_ids(kModel, prompt(), k, &out);
    for (int64_t r = 0; r < out.rows; ++r) tokens.push_back(out.row(r)[out.length - 1]);
  }
  return tokens;
}

// The processed next-token distribution after the prompt: logits -> temperature -> top-k -> top-p.
std::vector<float> processed_probabilities(double temperature, int64_t top_k, double top_p) {
  const auto& model = dynamic_cast<const GPT2LMHeadModel&>(test::generative_model(kModel));
  Batch batch;
  batch.batch = 1;
  batch.input_ids = prompt();
  batch.seq_len = static_cast<int64_t>(batch.input_ids.size());
  const Tensor logits = model.forward(batch);
  const int64_t V = logits.size(2);
  std::vector<float> scores(logits.data() + (batch.seq_len - 1) * V, logits.data() + batch.seq_len * V);
  const std::vector<int32_t> ids = prompt();
  const generation::TokenRows rows{ids.data(), 1, static_cast<int64_t>(ids.size()), static_cast<int64_t>(ids.size())};
  generation::Temperature(temperature).apply(rows, scores.data(), V);
  if (top_k > 0) generation::TopK(top_k, 1).apply(rows, scores.data(), V);
  if (top_p < 1) generation::TopP(top_p, 1).apply(rows, scores.data(), V);
  std::vector<float> probs(static_cast<size_t>(V));
  generation::softmax(scores.data(), probs.data(), V);
  return probs;
}

TEST(Sampling, TopKOneIsGreedy) {
  const json greedy = test::golden_expected(kModel)["greedy"]["public"][0];
  for (int seed : {1, 2, 3})
    EXPECT_EQ(test::generate_ids(kModel, prompt(), {{"do_sample", true}, {"top_k", 1}, {"max_new_tokens", 12}, {"seed", seed}}),
              test::ids_of(greedy["output_ids"]));
}

TEST(Sampling, SameSeedSameOutput) {
  const json k = {{"do_sample", true}, {"max_new_tokens", 12}, {"temperature", 1.5}, {"top_k", 0}, {"seed", 42}};
  const auto a = test::generate_ids(kModel, prompt(), k);
  EXPECT_EQ(test::generate_ids(kModel, prompt(), k), a);
  json other = k;
  other["seed"] = 43;
  EXPECT_NE(test::generate_ids(kModel, prompt(), other), a);  // 12 tokens from ~50k at T=1.5
}

TEST(Sampling, FirstTokenFrequenciesFollowTheProcessedSoftmax) {
  const double temperature = 0.7;
  const int64_t top_k = 6;
  const std::vector<float> probs = processed_probabilities(temperature, top_k, 1.0);
  const std::vector<int32_t> tokens = first_tokens({{"temperature", temperature}, {"top_k", top_k}}, 20, 100);
  std::map<int32_t, int> counts;
  for (int32_t t : tokens) ++counts[t];
  double chi2 = 0;
  int categories = 0;
  for (size_t v = 0; v < probs.size(); ++v) {
    if (probs[v] == 0) {
      EXPECT_EQ(counts.count(static_cast<int32_t>(v)), 0u) << "sampled token " << v << " has probability 0";
      continue;
    }
    const double expected = probs[v] * static_cast<double>(tokens.size());
    const double observed = counts[static_cast<int32_t>(v)];
    chi2 += (observed - expected) * (observed - expected) / expected;
    ++categories;
  }
  EXPECT_EQ(categories, top_k);
  // 5 degrees of freedom: P(chi2 > 20.5) = 0.001.
  EXPECT_LT(chi2, 20.5) << tokens.size() << " samples over " << categories << " tokens";
}

TEST(Sampling, TopPNeverLeavesTheNucleus) {
  const double top_p = 0.3, temperature = 0.3;  // sharpened: the tiny model's logits are flat
  const std::vector<float> probs = processed_probabilities(temperature, 0, top_p);
  std::set<int32_t> nucleus;
  for (size_t v = 0; v < probs.size(); ++v)
    if (probs[v] > 0) nucleus.insert(static_cast<int32_t>(v));
  ASSERT_GT(nucleus.size(), 1u);
  ASSERT_LT(nucleus.size(), 1000u);
  std::set<int32_t> seen;
  for (int32_t t : first_tokens({{"top_p", top_p}, {"top_k", 0}, {"temperature", temperature}}, 20, 100)) {
    EXPECT_TRUE(nucleus.count(t)) << "token " << t << " is outside the top-p nucleus";
    seen.insert(t);
  }
  EXPECT_GT(seen.size(), 1u);
}

}  // namespace
