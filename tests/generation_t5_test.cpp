// T5ForConditionalGeneration against transformers (goldens tiny-t5: ReLU, tied and rescaled head;
// tiny-flan-t5: gated GELU, no rescale): encoder hidden states, greedy and beam generation.
#include <gtest/gtest.h>

#include "generation_test_util.h"
#include "models/t5.h"

using namespace lmpipe;

namespace {

class T5Golden : public ::testing::TestWithParam<const char*> {};

TEST_P(T5Golden, EncoderLastHiddenState) {
  const json expected = test::golden_expected(GetParam())["encoder_last_hidden_state"];
  const auto& model = dynamic_cast<const T5ForConditionalGeneration&>(test::generative_model(GetParam()));
  T5Scratch scratch;
  const Tensor hidden = model.encode(test::golden_batch(expected), scratch);
  const json& want = expected["values"];
  ASSERT_EQ(static_cast<size_t>(hidden.size(1)), want.size());
  const int64_t d = hidden.size(2);
  for (int64_t t = 0; t < hidden.size(1); ++t)
    for (int64_t c = 0; c < d; ++c)
      ASSERT_TRUE(test::close(hidden.data()[t * d + c], want[t][c].get<double>()))
          << "token " << t << " dim " << c << ": " << hidden.data()[t * d + c] << " vs " << want[t][c];
}

TEST_P(T5Golden, GreedyGeneration) {
  const json expected = test::golden_expected(GetParam());
  for (const auto& c : expected["greedy"]["public"])
    EXPECT_EQ(test::generate_ids(GetParam(), test::ids_of(c["input_ids"][0]),
                                 {{"do_sample", false}, {"num_beams", 1}, {"max_new_tokens", 10}}),
              test::ids_of(c["output_ids"]))
        << c["input"];
}

TEST_P(T5Golden, BeamSearch) {
  const json expected = test::golden_expected(GetParam());
  const std::vector<int32_t> input = test::ids_of(expected["encoder_last_hidden_state"]["input_ids"][0]);
  for (const auto& c : expected["beam"])
    EXPECT_EQ(test::generate_ids(GetParam(), input, {{"do_sample", false}, {"num_beams", 3}, {"max_new_tokens", 8}}),
              test::ids_of(c["output_ids"]))
        << c["input"];
}

INSTANTIATE_TEST_SUITE_P(Models, T5Golden, ::testing::Values("tiny-t5", "tiny-flan-t5"));

TEST(T5RelativePositions, BucketsAsTransformers) {
  // Bidirectional, 32 buckets, max distance 128: exact below 8 per side, logarithmic above.
  EXPECT_EQ(t5_relative_position_bucket(0, true, 32, 128), 0);
  EXPECT_EQ(t5_relative_position_bucket(-7, true, 32, 128), 7);
  EXPECT_EQ(t5_relative_position_bucket(7, true, 32, 128), 23);
  EXPECT_EQ(t5_relative_position_bucket(-16, true, 32, 128), 10);  // 8 + log(2)/log(16)·8 = 10 exactly
  EXPECT_EQ(t5_relative_position_bucket(-1000, true, 32, 128), 15);
  EXPECT_EQ(t5_relative_position_bucket(1000, true, 32, 128), 31);
  // Causal: only the past counts, exact below 16.
  EXPECT_EQ(t5_relative_position_bucket(3, false, 32, 128), 0);
  EXPECT_EQ(t5_relative_position_bucket(-15, false, 32, 128), 15);
  EXPECT_EQ(t5_relative_position_bucket(-32, false, 32, 128), 21);  // 16 + trunc(log(2)/log(8)·16 = 5.33)
}

}  // namespace
