// The model families against the reference outputs of transformers 5.17 (tests/fixtures/goldens).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "models/bart.h"
#include "models/bert.h"
#include "io/checkpoint.h"
#include "kernels/kernels.h"
#include "lmpipe/pipeline.h"
#include "models/model.h"
#include "model_test_util.h"
#include "util/json.h"

using namespace lmpipe;

namespace {

// Every element within 1e-4 of the reference.
void expect_close(const Tensor& actual, const json& expected, const std::string& what) {
  test::expect_all_near(std::vector<double>(actual.data(), actual.data() + actual.numel()), expected, 1e-4, what);
}

void expect_pair_logits(const std::string& model_dir, const std::string& expected_model) {
  const json pair = test::golden_expected(expected_model).at("pair_logits");
  const auto model = load_sequence_classifier(test::golden_model(model_dir));
  const Tensor logits = model->classify(test::golden_batch(pair));
  EXPECT_EQ(logits.shape(), (Shape{static_cast<int64_t>(pair.at("logits").size()),
                                   static_cast<int64_t>(pair.at("logits").at(0).size())}));
  expect_close(logits, pair.at("logits"), model_dir + " pair_logits");
}

}  // namespace

TEST(ModelsGolden, BartMnliPairLogits) { expect_pair_logits("tiny-bart-mnli", "tiny-bart-mnli"); }
TEST(ModelsGolden, BartMnliShardedPairLogits) { expect_pair_logits("tiny-bart-mnli-sharded", "tiny-bart-mnli"); }
TEST(ModelsGolden, RobertaMnliPairLogits) { expect_pair_logits("tiny-roberta-mnli", "tiny-roberta-mnli"); }
TEST(ModelsGolden, XlmRobertaXnliPairLogits) { expect_pair_logits("tiny-xlm-roberta-xnli", "tiny-xlm-roberta-xnli"); }
TEST(ModelsGolden, DistilBertMnliPairLogits) { expect_pair_logits("tiny-distilbert-mnli", "tiny-distilbert-mnli"); }

// Layouts PyTorch writes (tools/goldens/make_loader_goldens.py): a float16 model.safetensors (the
// reference computed in fp32 from the fp16 values), and pytorch_model.bin shards with their index.
class CheckpointLayouts : public ::testing::TestWithParam<std::string> {};

TEST_P(CheckpointLayouts, PairLogitsAndZeroShotMatch) {
  const std::string model = GetParam();
  expect_pair_logits(model, model);
  auto classifier = pipeline("zero-shot-classification", test::golden_model(model).string());
  const json expected = test::golden_expected(model);  // kept: the loop ranges over one of its members
  for (const json& c : expected.at("zero_shot")) {
    const json got = (*classifier)(c.at("sequence"), {{"candidate_labels", c.at("candidate_labels")},
                                                      {"hypothesis_template", c.at("hypothesis_template")}});
    EXPECT_EQ(got.at("labels"), c.at("output").at("labels")) << model;
    for (size_t i = 0; i < got.at("scores").size(); ++i)
      EXPECT_NEAR(got["scores"][i].get<double>(), c["output"]["scores"][i].get<double>(), 1e-5) << model;
  }
}

INSTANTIATE_TEST_SUITE_P(ModelsGolden, CheckpointLayouts,
                         ::testing::Values("tiny-xlm-roberta-xnli-fp16", "tiny-deberta-v3-nli-bin-sharded"),
                         [](const auto& info) { return info.param == "tiny-xlm-roberta-xnli-fp16" ? "Float16Safetensors"
                                                                                                   : "ShardedPytorchBin"; });

TEST(ModelsGolden, BartEncoderDecoderHiddenStates) {
  const json expected = test::golden_expected("tiny-bart-mnli");
  const auto dir = test::golden_model("tiny-bart-mnli");
  const auto model = BartForSequenceClassification::load(dir, ModelConfig::load(dir));
  const json& enc = expected.at("encoder_last_hidden_state");
  const auto out = model->forward(test::golden_batch(enc));
  expect_close(out.encoder_last_hidden_state, enc.at("values"), "encoder_last_hidden_state");
  expect_close(out.decoder_last_hidden_state, expected.at("decoder_last_hidden_state"), "decoder_last_hidden_state");
}

// tiny-bert-legacy-bin: the same weights as pytorch_model.bin with LayerNorm.gamma/beta names.
class BertFeatures : public ::testing::TestWithParam<std::string> {};
TEST_P(BertFeatures, MatchBertModelOutputs) {
  const json features = test::golden_expected("tiny-bert").at("features");
  const auto model = BertModel::load(test::golden_model(GetParam()));
  const auto out = model->forward(test::golden_batch(features));
  expect_close(out.last_hidden_state, features.at("last_hidden_state"), "last_hidden_state");
  expect_close(out.pooler_output, features.at("pooler_output"), "pooler_output");
}
INSTANTIATE_TEST_SUITE_P(ModelsGolden, BertFeatures, ::testing::Values("tiny-bert", "tiny-bert-legacy-bin"));

// BertForPreTraining's next-sentence head is a classifier on the pooler: checks token_type_ids.
TEST(ModelsGolden, BertNextSentenceLogitsFromPooler) {
  const auto dir = test::golden_model("tiny-bert");
  const auto model = BertModel::load(dir);
  const Checkpoint checkpoint = Checkpoint::open(dir);
  const Tensor W = checkpoint.load("cls.seq_relationship.weight", {2, 16});
  const Tensor b = checkpoint.load("cls.seq_relationship.bias", {2});
  const json expected = test::golden_expected("tiny-bert");
  for (const json& case_ : expected.at("nsp")) {
    const auto out = model->forward(test::golden_batch(case_));
    Tensor logits = Tensor::empty({1, 2});
    kernels::linear(out.pooler_output.data(), W.data(), b.data(), logits.data(), 1, 16, 2);
    expect_close(logits, case_.at("logits"), "nsp logits");
  }
}

TEST(ModelsGolden, LabelsFollowConfig) {
  const auto model = load_sequence_classifier(test::golden_model("tiny-distilbert-mnli"));
  EXPECT_EQ(model->labels().id2label.at(0), "ENTAILMENT");
  EXPECT_EQ(model->labels().label2id.at("CONTRADICTION"), 2);
  EXPECT_EQ(model->max_positions(), 128);
}
