// The generation models loaded with bfloat16 / int8 linear layers (LoadOptions): the logits of a
// prefill and of the decoding steps after it (M = 1..4 rows: the small-M path of PackedLinear)
// stay near the fp32 model's, the LM head included; generation runs end to end through the
// pipelines in every dtype.
//
// The tiny T5 goldens (initializer_factor 4, attention without 1/sqrt(d) scaling) have scores
// hundreds apart, so a rounding can flip which key a softmax picks and whole-model logits are no
// measure of precision there: for T5 the LM head is compared on the same hidden states.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "lmpipe/pipeline.h"
#include "model_test_util.h"
#include "models/generative.h"
#include "models/t5.h"

using namespace lmpipe;

namespace {

LoadOptions with_dtype(WeightDtype dtype) {
  LoadOptions options;
  options.dtype = dtype;
  return options;
}

// Logits (rows, vocab) of: the prefill, then two single-token steps, for `rows` copies of one
// input (rows_per_input = rows, as beam search runs them).
std::vector<std::vector<float>> step_logits(const GenerativeModel& model, int64_t rows) {
  Batch inputs;
  inputs.batch = 1;
  inputs.input_ids = {31, 7, 99, 412, 5, 63};
  inputs.seq_len = static_cast<int64_t>(inputs.input_ids.size());
  const int64_t V = model.vocab_size();
  auto session = model.start(inputs, rows, 16);
  std::vector<std::vector<float>> out;
  std::vector<int32_t> ids;
  int64_t T = 1;
  if (model.is_encoder_decoder()) {
    ids.assign(static_cast<size_t>(rows), 0);
  } else {
    T = inputs.seq_len;
    for (int64_t r = 0; r < rows; ++r) ids.insert(ids.end(), inputs.input_ids.begin(), inputs.input_ids.end());
  }
  for (int step = 0; step < 3; ++step) {
    std::vector<float> logits(static_cast<size_t>(rows * V));
    session->forward(ids.data(), T, logits.data());
    out.push_back(logits);
    ids.assign(static_cast<size_t>(rows), 0);
    for (int64_t r = 0; r < rows; ++r) ids[r] = static_cast<int32_t>(17 + 5 * r + step);  // rows diverge
    T = 1;
  }
  return out;
}

class GenerationDtype : public ::testing::TestWithParam<std::tuple<const char*, WeightDtype>> {};

// Every logit within a fraction of the fp32 logits' largest magnitude: bfloat16 rounds weights
// and activations to 8 significant bits, int8 to 1/127 of each row's (and weight row's) range.
TEST_P(GenerationDtype, LogitsStayNearFloat32) {
  const auto [name, dtype] = GetParam();
  const auto dir = test::golden_model(name);
  const auto exact = load_generative_model(dir);
  const auto reduced = load_generative_model(dir, with_dtype(dtype));
  const double bound = dtype == WeightDtype::bfloat16 ? 0.02 : 0.06;
  for (int64_t rows : {1, 3}) {
    const auto want = step_logits(*exact, rows), got = step_logits(*reduced, rows);
    for (size_t step = 0; step < want.size(); ++step) {
      float scale = 0.f, worst = 0.f;
      for (float v : want[step]) scale = std::max(scale, std::abs(v));
      for (size_t i = 0; i < want[step].size(); ++i) worst = std::max(worst, std::abs(got[step][i] - want[step][i]));
      EXPECT_GT(worst, 0.f) << name << ": the dtype did not reach the linear layers";
      EXPECT_LE(worst, bound * scale) << name << " " << weight_dtype_name(dtype) << " rows " << rows << " step " << step;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, GenerationDtype,
                         ::testing::Combine(::testing::Values("tiny-gpt2-bf16", "tiny-bart-cnn"),
                                            ::testing::Values(WeightDtype::bfloat16, WeightDtype::int8)),
                         [](const auto& info) {
                           std::string model = std::get<0>(info.param);
                           std::replace(model.begin(), model.end(), '-', '_');
                           return model + "_" + std::string(weight_dtype_name(std::get<1>(info.param)));
                         });

class T5HeadDtype : public ::testing::TestWithParam<std::tuple<const char*, WeightDtype>> {};

TEST_P(T5HeadDtype, LmHeadStaysNearFloat32) {
  const auto [name, dtype] = GetParam();
  const auto dir = test::golden_model(name);
  const auto exact_model = load_generative_model(dir), reduced_model = load_generative_model(dir, with_dtype(dtype));
  const auto& exact = dynamic_cast<const T5ForConditionalGeneration&>(*exact_model);
  const auto& reduced = dynamic_cast<const T5ForConditionalGeneration&>(*reduced_model);
  Batch inputs;
  inputs.batch = 1;
  inputs.input_ids = {31, 7, 99, 412, 5, 63};
  inputs.seq_len = static_cast<int64_t>(inputs.input_ids.size());
  T5Scratch scratch;
  const Tensor encoded = exact.encode(inputs, scratch);
  T5DecoderCache cache;
  exact.start_decoder(encoded, {}, 1, 4, cache);
  const int32_t ids[] = {0, 17, 18};
  const int64_t V = exact.vocab_size(), d = exact.t5_config().d_model;
  for (int32_t id : ids) {
    const Tensor hidden = exact.decode(&id, 1, cache, scratch);
    ASSERT_EQ(hidden.numel(), d);
    std::vector<float> want(static_cast<size_t>(V)), got(static_cast<size_t>(V));
    exact.lm_head(hidden.data(), 1, want.data());
    reduced.lm_head(hidden.data(), 1, got.data());
    float scale = 0.f, worst = 0.f;
    for (int64_t v = 0; v < V; ++v) {
      scale = std::max(scale, std::abs(want[v]));
      worst = std::max(worst, std::abs(got[v] - want[v]));
    }
    EXPECT_GT(worst, 0.f) << name << ": the dtype did not reach the LM head";
    EXPECT_LE(worst, (dtype == WeightDtype::bfloat16 ? 0.01 : 0.03) * scale) << name << " token " << id;
  }
  // The encoder's layers take the dtype too.
  const Tensor reduced_encoded = reduced.encode(inputs, scratch);
  EXPECT_NE(std::vector<float>(encoded.data(), encoded.data() + encoded.numel()),
            std::vector<float>(reduced_encoded.data(), reduced_encoded.data() + reduced_encoded.numel()));
}

INSTANTIATE_TEST_SUITE_P(Models, T5HeadDtype,
                         ::testing::Combine(::testing::Values("tiny-t5", "tiny-flan-t5"),
                                            ::testing::Values(WeightDtype::bfloat16, WeightDtype::int8)),
                         [](const auto& info) {
                           std::string model = std::get<0>(info.param);
                           std::replace(model.begin(), model.end(), '-', '_');
                           return model + "_" + std::string(weight_dtype_name(std::get<1>(info.param)));
                         });

TEST(GenerationPipelines, TakeTheDtype) {
  for (WeightDtype dtype : {WeightDtype::bfloat16, WeightDtype::int8}) {
    const auto generator =
        pipeline("text-generation", test::golden_model("tiny-gpt2-bf16").string(), with_dtype(dtype));
    const json out = (*generator)("If you don't", {{"max_new_tokens", 4}, {"min_new_tokens", 4}});
    EXPECT_EQ(out[0]["generated_text"].get<std::string>().rfind("If you don't", 0), 0u) << out.dump();
    const auto summarizer =
        pipeline("summarization", test::golden_model("tiny-bart-cnn").string(), with_dtype(dtype));
    EXPECT_TRUE((*summarizer)("The cat sat on the mat.", {{"max_new_tokens", 4}})[0].contains("summary_text"));
    const auto translator =
        pipeline("translation_en_to_de", test::golden_model("tiny-t5").string(), with_dtype(dtype));
    EXPECT_TRUE((*translator)("The cat sat.", {{"max_new_tokens", 4}})[0].contains("translation_text"));
  }
}

}  // namespace
