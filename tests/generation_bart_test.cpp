// BartForConditionalGeneration against transformers (golden tiny-bart-cnn): generate() with the
// model's generation_config.json (4 beams, no_repeat_ngram 3, length_penalty 2, early stopping,
// forced BOS/EOS, min/max length) and greedy decoding.
#include <gtest/gtest.h>

#include "generation_test_util.h"

using namespace lmpipe;

TEST(BartGenerationGolden, GenerationConfigDefaults) {
  const json expected = test::golden_expected("tiny-bart-cnn");
  for (const auto& c : expected["generate_default"]["public"])
    EXPECT_EQ(test::generate_ids("tiny-bart-cnn", test::ids_of(c["input_ids"][0]), json::object()),
              test::ids_of(c["output_ids"]))
        << c["input"];
}

TEST(BartGenerationGolden, Greedy) {
  const json expected = test::golden_expected("tiny-bart-cnn");
  const json defaults = expected["generate_default"]["public"];
  for (const auto& c : expected["greedy"]) {
    std::vector<int32_t> input;
    for (const auto& d : defaults)
      if (d["input"] == c["input"]) input = test::ids_of(d["input_ids"][0]);
    ASSERT_FALSE(input.empty());
    EXPECT_EQ(test::generate_ids("tiny-bart-cnn", input,
                                 {{"num_beams", 1}, {"do_sample", false}, {"max_new_tokens", 10}, {"min_length", 0},
                                  {"no_repeat_ngram_size", 0}, {"length_penalty", 1.0}}),
              test::ids_of(c["output_ids"]))
        << c["input"];
  }
}
