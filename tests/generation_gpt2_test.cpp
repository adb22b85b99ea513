// GPT-2 against transformers (goldens tiny-gpt2-bf16 and tiny-gpt2-legacy, same weights): logits
// of every prompt position, greedy / beam / repetition-penalty / no-repeat-n-gram generation.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "generation_test_util.h"
#include "models/gpt2.h"

using namespace lmpipe;

namespace {

class Gpt2Golden : public ::testing::TestWithParam<const char*> {};

TEST_P(Gpt2Golden, LogitsOfEveryPosition) {
  const json expected = test::golden_expected("tiny-gpt2-bf16");
  const auto& model = dynamic_cast<const GPT2LMHeadModel&>(test::generative_model(GetParam()));
  for (const auto& c : expected["logits"]) {
    const Batch batch = test::golden_batch(c);
    const Tensor logits = model.forward(batch);
    const int64_t V = logits.size(2);
    ASSERT_EQ(static_cast<size_t>(logits.size(1)), c["per_position"].size());
    for (int64_t t = 0; t < logits.size(1); ++t) {
      const json& want = c["per_position"][t];
      const float* row = logits.data() + t * V;
      std::vector<int64_t> order(static_cast<size_t>(V));
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + 10, order.end(), [&](int64_t a, int64_t b) { return row[a] > row[b]; });
      double sum = 0, sumsq = 0;
      for (int64_t v = 0; v < V; ++v) sum += row[v], sumsq += double(row[v]) * row[v];
      const std::string where = c["prompt"].get<std::string>() + " position " + std::to_string(t);
      for (int k = 0; k < 10; ++k) {
        EXPECT_EQ(order[k], want["top_ids"][k].get<int64_t>()) << where << " rank " << k;
        EXPECT_TRUE(test::close(row[order[k]], want["top_values"][k].get<double>())) << where << " rank " << k;
      }
      EXPECT_TRUE(test::close(sum, want["sum"].get<double>())) << where << " sum " << sum;
      EXPECT_TRUE(test::close(sumsq, want["sumsq"].get<double>())) << where << " sumsq " << sumsq;
    }
  }
}

TEST_P(Gpt2Golden, GreedyGeneration) {
  const json expected = test::golden_expected("tiny-gpt2-bf16");
  for (const auto& c : expected["greedy"]["public"]) {
    const auto out = test::generate_ids(GetParam(), test::ids_of(c["input_ids"][0]),
                                        {{"do_sample", false}, {"max_new_tokens", 12}, {"pad_token_id", 50256}});
    EXPECT_EQ(out, test::ids_of(c["output_ids"])) << c["prompt"];
  }
}

TEST_P(Gpt2Golden, BeamSearchRepetitionPenaltyAndNoRepeatNgram) {
  const json expected = test::golden_expected("tiny-gpt2-bf16");
  for (const auto& c : expected["beam"]) {
    std::vector<int32_t> input;
    for (const auto& l : expected["logits"])
      if (l["prompt"] == c["prompt"]) input = test::ids_of(l["input_ids"][0]);
    ASSERT_FALSE(input.empty());
    EXPECT_EQ(test::generate_ids(GetParam(), input,
                                 {{"do_sample", false}, {"num_beams", 3}, {"max_new_tokens", 8}, {"pad_token_id", 50256}}),
              test::ids_of(c["output_ids"]))
        << c["prompt"] << " beam";
    EXPECT_EQ(test::generate_ids(GetParam(), input,
                                 {{"do_sample", false}, {"max_new_tokens", 12}, {"repetition_penalty", 1.3},
                                  {"pad_token_id", 50256}}),
              test::ids_of(c["repetition_penalty_1.3"]))
        << c["prompt"] << " repetition_penalty";
    EXPECT_EQ(test::generate_ids(GetParam(), input,
                                 {{"do_sample", false}, {"max_new_tokens", 12}, {"no_repeat_ngram_size", 2},
                                  {"pad_token_id", 50256}}),
              test::ids_of(c["no_repeat_ngram_2"]))
        << c["prompt"] << " no_repeat_ngram";
  }
}

INSTANTIATE_TEST_SUITE_P(Checkpoints, Gpt2Golden, ::testing::Values("tiny-gpt2-bf16", "tiny-gpt2-legacy"));

}  // namespace

namespace {

// Decoder sessions borrow their caches from the model between calls: two sessions alive at once
// must not share them, and a session after a larger one must not see its tokens.
TEST(DecoderSessions, InterleavedSessionsMatchSessionsRunAlone) {
  for (const char* name : {"tiny-gpt2-legacy", "tiny-t5", "tiny-bart-cnn"}) {
    const GenerativeModel& model = test::generative_model(name);
    const int64_t V = model.vocab_size();
    auto input = [](std::vector<int32_t> ids) {
      Batch b;
      b.batch = 1, b.seq_len = static_cast<int64_t>(ids.size()), b.input_ids = std::move(ids);
      return b;
    };
    const Batch long_input = input({464, 268, 586, 831, 45, 625, 262, 931, 290, 13});
    const Batch short_input = input({464, 290});
    // The decoder prompt: the prompt itself for GPT-2, the start token for the encoder-decoders.
    auto first_ids = [&](const Batch& b) {
      return model.is_encoder_decoder() ? std::vector<int32_t>{0} : b.input_ids;
    };
    // Three steps of a session: its logits after each.
    auto run = [&](DecoderSession& s, const Batch& b, int step, std::vector<float>& logits) {
      logits.resize(static_cast<size_t>(V));
      if (step == 0) {
        const std::vector<int32_t> ids = first_ids(b);
        s.forward(ids.data(), static_cast<int64_t>(ids.size()), logits.data());
      } else {
        const int32_t next = 100 + step;
        s.forward(&next, 1, logits.data());
      }
    };
    std::vector<std::vector<float>> alone_long(3), alone_short(3), mixed_long(3), mixed_short(3);
    {
      auto s = model.start(long_input, 1, 32);
      for (int i = 0; i < 3; ++i) run(*s, long_input, i, alone_long[i]);
    }
    {
      auto s = model.start(short_input, 1, 32);
      for (int i = 0; i < 3; ++i) run(*s, short_input, i, alone_short[i]);
    }
    {
      auto a = model.start(long_input, 1, 32);
      auto b = model.start(short_input, 1, 32);
      for (int i = 0; i < 3; ++i) {
        run(*b, short_input, i, mixed_short[i]);
        run(*a, long_input, i, mixed_long[i]);
      }
    }
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(mixed_long[i], alone_long[i]) << name << " step " << i;
      EXPECT_EQ(mixed_short[i], alone_short[i]) << name << " step " << i;
    }
  }
}

}  // namespace
