// Model semantics beyond the goldens: padding invariance, the BART decoder cache, and errors that
// name the file or field at fault.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "models/bart.h"
#include "models/model.h"
#include "model_test_util.h"
#include "util/error.h"
#include "util/json.h"

using namespace lmpipe;
using ::testing::HasSubstr;
using test::error_of;
using test::model_with_config;
using test::unpadded_row;

namespace {

class EveryClassifier : public ::testing::TestWithParam<std::string> {};

}  // namespace

// Each row alone, unpadded, gives the logits it has inside the padded batch.
TEST_P(EveryClassifier, PaddingDoesNotChangeLogits) {
  const auto model = load_sequence_classifier(test::golden_model(GetParam()));
  const Batch batch = test::golden_pair_batch(GetParam());
  const Tensor logits = model->classify(batch);
  const int64_t L = logits.size(1);
  for (int64_t r = 0; r < batch.batch; ++r) {
    const Tensor alone = model->classify(unpadded_row(batch, r));
    for (int64_t j = 0; j < L; ++j) EXPECT_NEAR(alone.data()[j], logits.data()[r * L + j], 1e-5) << "row " << r;
  }
}

// A row that is all padding stays finite (attention over no keys gives zeros, as SDPA does).
TEST_P(EveryClassifier, FullyPaddedRowIsFinite) {
  const auto model = load_sequence_classifier(test::golden_model(GetParam()));
  Batch batch = test::golden_pair_batch(GetParam());
  for (int64_t t = 0; t < batch.seq_len; ++t) batch.attention_mask[t] = 0;
  const Tensor logits = model->classify(batch);
  for (int64_t i = 0; i < logits.numel(); ++i) EXPECT_TRUE(std::isfinite(logits.data()[i]));
}

TEST_P(EveryClassifier, RejectsMalformedBatches) {
  const auto model = load_sequence_classifier(test::golden_model(GetParam()));
  Batch batch = test::golden_pair_batch(GetParam());
  batch.attention_mask.pop_back();
  EXPECT_THAT(error_of([&] { model->classify(batch); }), HasSubstr("attention_mask"));
  batch = test::golden_pair_batch(GetParam());
  batch.input_ids[3] = 1 << 30;
  EXPECT_THAT(error_of([&] { model->classify(batch); }), HasSubstr("out of range"));
}

INSTANTIATE_TEST_SUITE_P(Models, EveryClassifier,
                         ::testing::Values("tiny-bart-mnli", "tiny-roberta-mnli", "tiny-xlm-roberta-xnli",
                                           "tiny-distilbert-mnli", "tiny-deberta-v3-nli"));

// Decoding token by token through the cache gives the hidden states of one full pass.
TEST(ModelsBart, IncrementalDecodingMatchesFullPass) {
  const auto dir = test::golden_model("tiny-bart-mnli");
  const auto classifier = BartForSequenceClassification::load(dir, ModelConfig::load(dir));
  const BartModel& model = classifier->model();
  const Batch batch = test::golden_pair_batch("tiny-bart-mnli");
  const int64_t B = batch.batch, T = batch.seq_len, d = model.config().d_model;
  const auto ids = shift_tokens_right(batch.input_ids, B, T, 1, 2);
  BartScratch scratch;
  const Tensor encoded = model.encode(batch, scratch);
  BartDecoderCache full_cache;
  model.start_decoder(encoded, batch.attention_mask, 1, T, full_cache);
  const Tensor full = model.decode(ids.data(), T, full_cache, scratch);
  BartDecoderCache cache;
  model.start_decoder(encoded, batch.attention_mask, 1, T, cache);
  for (int64_t t = 0; t < T; ++t) {
    std::vector<int32_t> step(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) step[b] = ids[b * T + t];
    const Tensor h = model.decode(step.data(), 1, cache, scratch);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t c = 0; c < d; ++c) ASSERT_NEAR(h.data()[b * d + c], full.data()[(b * T + t) * d + c], 1e-5);
  }
  EXPECT_EQ(cache.self.length(), T);
}

TEST(ModelsBart, RowsMustAgreeOnEosCount) {
  const auto model = load_sequence_classifier(test::golden_model("tiny-bart-mnli"));
  Batch batch = test::golden_pair_batch("tiny-bart-mnli");
  batch.input_ids[7] = 4;  // row 0 loses one </s>
  EXPECT_THAT(error_of([&] { model->classify(batch); }), HasSubstr("<eos>"));
}

TEST(ModelsErrors, UnknownArchitectureNamesConfig) {
  json config = test::golden_config("tiny-distilbert-mnli");
  config["architectures"] = {"FooForBar"};
  const auto dir = model_with_config("tiny-distilbert-mnli", config, "unknown_arch");
  const std::string message = error_of([&] { load_sequence_classifier(dir); });
  EXPECT_THAT(message, HasSubstr("config.json"));
  EXPECT_THAT(message, HasSubstr("FooForBar"));
}

TEST(ModelsErrors, MissingFieldNamesConfigAndField) {
  json config = test::golden_config("tiny-bart-mnli");
  config.erase("d_model");
  const auto dir = model_with_config("tiny-bart-mnli", config, "missing_field");
  const std::string message = error_of([&] { load_sequence_classifier(dir); });
  EXPECT_THAT(message, HasSubstr("config.json"));
  EXPECT_THAT(message, HasSubstr("d_model"));
}

TEST(ModelsErrors, UnsupportedActivationNamesField) {
  json config = test::golden_config("tiny-roberta-mnli");
  config["hidden_act"] = "swish_of_the_future";
  const auto dir = model_with_config("tiny-roberta-mnli", config, "bad_act");
  EXPECT_THAT(error_of([&] { load_sequence_classifier(dir); }), HasSubstr("hidden_act"));
}

TEST(ModelsErrors, ConfigThatDisagreesWithWeightsNamesTheKey) {
  json config = test::golden_config("tiny-distilbert-mnli");
  config["n_layers"] = 3;
  const auto dir = model_with_config("tiny-distilbert-mnli", config, "extra_layer");
  EXPECT_THAT(error_of([&] { load_sequence_classifier(dir); }), HasSubstr("distilbert.transformer.layer.2."));
  config = test::golden_config("tiny-bart-mnli");
  config["d_model"] = 32;
  config["encoder_attention_heads"] = 4;
  const auto dir2 = model_with_config("tiny-bart-mnli", config, "wrong_width");
  EXPECT_THAT(error_of([&] { load_sequence_classifier(dir2); }), HasSubstr("model.shared.weight"));
}
