#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "models/model.h"
#include "test_util.h"
#include "util/error.h"
#include "util/json.h"

using namespace lmpipe;

namespace {

const char* kModel = "tiny-deberta-v3-nli";

// The golden's padded batch of (premise, hypothesis) pairs.
Batch golden_batch(const json& pairs) {
  Batch batch;
  batch.batch = static_cast<int64_t>(pairs.at("input_ids").size());
  batch.seq_len = static_cast<int64_t>(pairs.at("input_ids").at(0).size());
  for (const auto& row : pairs.at("input_ids"))
    for (int id : row) batch.input_ids.push_back(id);
  for (const auto& row : pairs.at("attention_mask"))
    for (int m : row) batch.attention_mask.push_back(m);
  return batch;
}

// A copy of the model directory whose config.json is edited by `edit`.
std::filesystem::path model_with_config(const std::string& name, const std::function<void(json&)>& edit) {
  const auto src = test::golden_model(kModel);
  const auto dir = std::filesystem::temp_directory_path() / ("lmpipe_deberta_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(src / "model.safetensors", dir / "model.safetensors");
  json config = read_json_file(src / "config.json");
  edit(config);
  std::ofstream(dir / "config.json") << config.dump(2);
  return dir;
}

// Loading `dir` fails with a message naming config.json and `field`.
void expect_config_error(const std::filesystem::path& dir, const std::string& field) {
  try {
    load_sequence_classifier(dir);
    FAIL() << "expected an error naming " << field;
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("config.json"), std::string::npos) << message;
    EXPECT_NE(message.find(field), std::string::npos) << message;
  }
}

}  // namespace

TEST(DebertaV2, PairLogitsMatchGolden) {
  const json expected = read_json_file(test::golden_model(kModel) / "expected.json").at("pair_logits");
  auto model = load_sequence_classifier(test::golden_model(kModel));
  const Batch batch = golden_batch(expected);
  Tensor logits = model->classify(batch);
  const auto& want = expected.at("logits");
  ASSERT_EQ(logits.shape(), (Shape{batch.batch, static_cast<int64_t>(want.at(0).size())}));
  for (int64_t b = 0; b < batch.batch; ++b)
    for (int64_t l = 0; l < logits.size(1); ++l)
      EXPECT_NEAR(logits.data()[b * logits.size(1) + l], want.at(b).at(l).get<double>(), 1e-4) << b << "," << l;
}

TEST(DebertaV2, PaddingDoesNotChangeLogits) {
  const json expected = read_json_file(test::golden_model(kModel) / "expected.json").at("pair_logits");
  auto model = load_sequence_classifier(test::golden_model(kModel));
  const Batch padded = golden_batch(expected);
  Tensor batched = model->classify(padded);
  for (int64_t b = 0; b < padded.batch; ++b) {
    Batch single;
    single.batch = 1;
    for (int64_t t = 0; t < padded.seq_len; ++t)
      if (padded.attention_mask[b * padded.seq_len + t]) single.input_ids.push_back(padded.input_ids[b * padded.seq_len + t]);
    single.seq_len = static_cast<int64_t>(single.input_ids.size());  // no mask: all ones
    Tensor alone = model->classify(single);
    for (int64_t l = 0; l < alone.size(1); ++l)
      EXPECT_NEAR(alone.data()[l], batched.data()[b * batched.size(1) + l], 1e-5) << b;
  }
}

TEST(DebertaV2, LabelsAndLimitsFromConfig) {
  auto model = load_sequence_classifier(test::golden_model(kModel));
  EXPECT_EQ(model->labels().id2label.at(0), "entailment");
  EXPECT_EQ(model->labels().id2label.at(1), "not_entailment");
  EXPECT_EQ(model->labels().label2id.at("not_entailment"), 1);
  EXPECT_EQ(model->max_positions(), 128);
}

TEST(DebertaV2, MissingConfigFieldIsNamed) {
  expect_config_error(model_with_config("missing", [](json& c) { c.erase("hidden_size"); }), "hidden_size");
}

TEST(DebertaV2, BadConfigFieldsAreNamed) {
  expect_config_error(model_with_config("type", [](json& c) { c["position_buckets"] = "sixteen"; }),
                      "position_buckets");
  expect_config_error(model_with_config("act", [](json& c) { c["pooler_hidden_act"] = "swish_x"; }),
                      "pooler_hidden_act");
  expect_config_error(model_with_config("heads", [](json& c) { c["num_attention_heads"] = 5; }), "num_attention_heads");
}

TEST(DebertaV2, WeightShapeMismatchIsAnError) {
  // rel_embeddings holds 2·position_buckets rows; another bucket count does not fit the checkpoint.
  const auto dir = model_with_config("buckets", [](json& c) { c["position_buckets"] = 32; });
  try {
    load_sequence_classifier(dir);
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("deberta.encoder.rel_embeddings.weight"), std::string::npos) << e.what();
  }
}

TEST(DebertaV2, OutOfVocabularyIdIsAnError) {
  auto model = load_sequence_classifier(test::golden_model(kModel));
  Batch batch;
  batch.batch = 1;
  batch.seq_len = 2;
  batch.input_ids = {1, 5000};
  EXPECT_THROW(model->classify(batch), Error);
}
