// Fill-mask, masked-LM logits, next-sentence prediction, features and sentence embeddings against
// transformers 5.17 / sentence-transformers 6.0.1 (tests/fixtures/goldens: tiny-bert,
// tiny-bert-legacy-bin, tiny-sentence-bert). Ids, tokens and order exact; scores within 1e-5;
// logits, hidden states and embeddings within 1e-4.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lmpipe/feature_extraction.h"
#include "lmpipe/fill_mask.h"
#include "lmpipe/next_sentence.h"
#include "lmpipe/pipeline.h"
#include "lmpipe/sentence_embeddings.h"
#include "lmpipe/tokenizer.h"
#include "autoencoding_test_util.h"
#include "model_test_util.h"
#include "models/model.h"
#include "util/json.h"

using namespace lmpipe;
using test::expect_all_near;
using test::expect_fill_mask;
using test::flatten;

namespace {

class TinyBert : public ::testing::TestWithParam<std::string> {
 protected:
  std::filesystem::path dir() const { return test::golden_model(GetParam()); }
  // Loaded once and kept: loops range over its members, which a returned temporary would not outlive.
  static const json& expected() {
    static const json golden = test::golden_expected("tiny-bert");
    return golden;
  }
};

}  // namespace

TEST_P(TinyBert, FillMaskPublicCases) {
  auto unmasker = pipeline("fill-mask", dir().string());
  for (const json& example : expected()["fill_mask"]["public"]) {
    const json got = (*unmasker)(example["input"], {{"top_k", example["top_k"]}});
    expect_fill_mask(got, example["output"], example["input"].get<std::string>());
  }
}

TEST_P(TinyBert, FillMaskBatchMatchesOneByOne) {
  auto unmasker = pipeline("fill-mask", dir().string());
  json inputs = json::array(), want = json::array();
  for (const json& example : expected()["fill_mask"]["public"]) {
    inputs.push_back(example["input"]);
    want.push_back(example["output"]);
  }
  const json got = (*unmasker)(inputs);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) expect_fill_mask(got[i], want[i], "batch item " + std::to_string(i));
}

TEST_P(TinyBert, FillMaskTargets) {
  const json example = expected()["fill_mask_targets"];
  auto unmasker = pipeline("fill-mask", dir().string());
  const json got = (*unmasker)(example["input"], {{"targets", example["targets"]}});
  expect_fill_mask(got, example["output"], "targets");
}

// Every position's vocabulary logits (BertForMaskedLM), summarized as the golden does.
TEST_P(TinyBert, MaskedLMLogits) { test::expect_mlm_logits(dir(), expected()["mlm_logits"]); }

TEST_P(TinyBert, NextSentencePrediction) {
  NextSentencePredictionPipeline nsp(dir());
  const Tokenizer tokenizer = Tokenizer::from_dir(dir());
  for (const json& example : expected()["nsp"]) {
    const std::string a = example["text"], b = example["text_pair"];
    const Encoding e = tokenizer.encode_pair(a, b);
    EXPECT_EQ(json(e.ids), example["input_ids"][0]) << a;
    EXPECT_EQ(json(e.type_ids), example["token_type_ids"][0]) << a;
    const NextSentenceResult r = nsp.predict(a, b);
    expect_all_near({r.logits[0], r.logits[1]}, example["logits"], 1e-4, a + " logits");
    expect_all_near({r.probs[0], r.probs[1]}, example["probs"], 1e-5, a + " probs");
  }
}

TEST_P(TinyBert, EncoderLastHiddenState) {
  const json features = expected()["features"];
  const auto model = load_encoder(dir());
  EXPECT_EQ(model->hidden_size(), 16);
  const Tensor hidden = model->encode(test::golden_batch(features));
  expect_all_near(std::vector<double>(hidden.data(), hidden.data() + hidden.numel()), features["last_hidden_state"],
                  1e-4, "last_hidden_state");
}

TEST_P(TinyBert, FeatureExtractionPipeline) {
  const json example = expected()["feature_extraction_pipeline"];
  auto extractor = pipeline("feature-extraction", dir().string());
  const json got = (*extractor)(example["input"]);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].size(), example["output"][0].size());
  ASSERT_EQ(got[0][0].size(), example["output"][0][0].size());
  expect_all_near(flatten(got), example["output"], 1e-4, "feature-extraction");
}

// The padded golden batch, one text at a time through the pipeline: each input's own tokens.
TEST_P(TinyBert, FeatureExtractionOfSeveralTexts) {
  const json features = expected()["features"];
  FeatureExtractionPipeline extractor(dir());
  const auto got = extractor.extract(features["texts"].get<std::vector<std::string>>());
  ASSERT_EQ(got.size(), 2u);
  for (size_t i = 0; i < got.size(); ++i) {
    const json& mask = features["attention_mask"][i];
    const int64_t tokens = std::count(mask.begin(), mask.end(), 1);
    ASSERT_EQ(got[i].tokens, tokens);
    json want = json::array();
    for (int64_t t = 0; t < tokens; ++t) want.push_back(features["last_hidden_state"][i][t]);
    expect_all_near(std::vector<double>(got[i].values.begin(), got[i].values.end()), want, 1e-4,
                    "text " + std::to_string(i));
  }
}

INSTANTIATE_TEST_SUITE_P(Goldens, TinyBert, ::testing::Values("tiny-bert", "tiny-bert-legacy-bin"));

// Normalized mean pooling (the repository's own modules), the empty text included.
TEST(SentenceEmbeddingsGolden, MeanPoolingNormalized) {
  const json expected = test::golden_expected("tiny-sentence-bert");
  SentenceTransformer model(test::golden_model("tiny-sentence-bert"));
  EXPECT_EQ(model.dimension(), 16);
  EXPECT_EQ(model.max_seq_length(), 64u);
  EXPECT_EQ(model.similarity_fn_name(), "cosine");
  std::vector<std::string> texts;
  for (const json& e : expected["public"]) texts.push_back(e["text"]);
  const auto embeddings = model.encode(texts);
  ASSERT_EQ(embeddings.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i)
    expect_all_near(std::vector<double>(embeddings[i].begin(), embeddings[i].end()), expected["public"][i]["embedding"],
                    1e-4, "\"" + texts[i] + "\"");
  // One at a time, through the pipeline API: the same vectors.
  auto st = pipeline("sentence-embeddings", test::golden_model("tiny-sentence-bert").string());
  expect_all_near(flatten((*st)(texts[1])), expected["public"][1]["embedding"], 1e-4, "pipeline");
}

// The same Transformer with CLS pooling and no Normalize module.
TEST(SentenceEmbeddingsGolden, ClsPoolingUnnormalized) {
  const auto golden = test::golden_model("tiny-sentence-bert");
  const auto dir = std::filesystem::temp_directory_path() / "lmpipe_st_cls_pooling";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "1_Pooling");
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                        "sentence_bert_config.json", "config_sentence_transformers.json"})
    std::filesystem::create_symlink(std::filesystem::canonical(golden / f), dir / f);
  std::ofstream(dir / "modules.json") << R"([
    {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
    {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])";
  std::ofstream(dir / "1_Pooling/config.json") << R"({"word_embedding_dimension": 16, "pooling_mode_cls_token": true,
    "pooling_mode_mean_tokens": false, "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false})";
  SentenceTransformer model(dir);
  const json expected = test::golden_expected("tiny-sentence-bert")["cls_pooling_unnormalized"];
  for (const json& e : expected) {
    const auto v = model.encode(e["text"].get<std::string>());
    expect_all_near(std::vector<double>(v.begin(), v.end()), e["embedding"], 1e-4, e["text"].get<std::string>());
  }
  std::filesystem::remove_all(dir);
}
