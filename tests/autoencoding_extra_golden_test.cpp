// The masked-LM heads of RoBERTa, XLM-R, DistilBERT and DeBERTa-v3 (both of its head layouts),
// and sentence-transformers 6 repositories beyond tiny-sentence-bert (every pooling mode with a
// Dense layer, prompts left out of the pooling, a lower-casing RoBERTa with 8 tokens at most),
// against transformers 5.17 / sentence-transformers 6.0.1 (tools/goldens/make_autoencoding_goldens.py).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "autoencoding_test_util.h"
#include "lmpipe/pipeline.h"
#include "lmpipe/sentence_embeddings.h"
#include "model_test_util.h"
#include "models/model.h"
#include "util/error.h"
#include "util/json.h"

using namespace lmpipe;
using test::expect_all_near;
using test::expect_fill_mask;
using test::flatten;

namespace {

class MaskedLMGolden : public ::testing::TestWithParam<std::string> {
 protected:
  std::filesystem::path dir() const { return test::golden_model(GetParam()); }
  const json& expected() const {
    if (expected_.is_null()) expected_ = test::golden_expected(GetParam());
    return expected_;
  }

 private:
  mutable json expected_;
};
// The repositories whose goldens also hold a targets case and a feature-extraction case.
class MaskedLMTargetsGolden : public MaskedLMGolden {};

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name)
    if (c == '-') c = '_';
  return name;
}

}  // namespace

TEST_P(MaskedLMGolden, FillMask) {
  auto unmasker = pipeline("fill-mask", dir().string());
  for (const json& example : expected()["fill_mask"]) {
    const json got = (*unmasker)(example["input"], {{"top_k", example["top_k"]}});
    expect_fill_mask(got, example["output"], example["input"].get<std::string>());
  }
}

TEST_P(MaskedLMGolden, FillMaskBatched) {
  const json& example = expected()["fill_mask_batched"];
  auto unmasker = pipeline("fill-mask", dir().string());
  const json got = (*unmasker)(example["inputs"], {{"top_k", 2}, {"batch_size", example["batch_size"]}});
  ASSERT_EQ(got.size(), example["output"].size());
  for (size_t i = 0; i < got.size(); ++i) expect_fill_mask(got[i], example["output"][i], "batch item " + std::to_string(i));
  EXPECT_THROW((*unmasker)(example["inputs"], {{"batch_size", 0}}), Error);
}

// Targets as given, with a leading-space form, one outside the vocabulary and one of several tokens.
TEST_P(MaskedLMTargetsGolden, FillMaskTargets) {
  const json& example = expected()["fill_mask_targets"];
  auto unmasker = pipeline("fill-mask", dir().string());
  const json got = (*unmasker)(example["input"], {{"targets", example["targets"]}, {"top_k", 10}});
  expect_fill_mask(got, example["output"], "targets " + example["targets"].dump());
}

TEST_P(MaskedLMGolden, LogitsAtEveryPosition) { test::expect_mlm_logits(dir(), expected()["mlm_logits"]); }

// feature-extraction on the masked-LM repository: its encoder, without the head.
TEST_P(MaskedLMTargetsGolden, FeatureExtraction) {
  const json& example = expected()["feature_extraction_pipeline"];
  auto extractor = pipeline("feature-extraction", dir().string());
  const json got = (*extractor)(example["input"]);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].size(), example["output"][0].size());
  expect_all_near(flatten(got), example["output"], 1e-4, "feature-extraction");
}

INSTANTIATE_TEST_SUITE_P(Goldens, MaskedLMGolden,
                         ::testing::Values("tiny-roberta-mlm", "tiny-xlm-roberta-mlm", "tiny-distilbert-mlm",
                                           "tiny-deberta-v3-mlm", "tiny-deberta-v3-mlm-lm-predictions"),
                         test_name);
INSTANTIATE_TEST_SUITE_P(Goldens, MaskedLMTargetsGolden, ::testing::Values("tiny-roberta-mlm", "tiny-distilbert-mlm"),
                         test_name);

namespace {

std::filesystem::path variant(const std::string& name) { return test::golden_model("tiny-sentence-variants") / name; }
const json& variants_expected() {
  static const json golden = test::golden_expected("tiny-sentence-variants");
  return golden;
}

void expect_embeddings(const SentenceTransformer& model, const json& cases, const SentenceEmbeddingOptions& options,
                       const std::string& where) {
  std::vector<std::string> texts;
  for (const json& c : cases) texts.push_back(c["text"]);
  const auto got = model.encode(texts, options);
  ASSERT_EQ(got.size(), texts.size()) << where;
  for (size_t i = 0; i < texts.size(); ++i)
    expect_all_near(std::vector<double>(got[i].begin(), got[i].end()), cases[i]["embedding"], 1e-4,
                    where + " \"" + texts[i] + "\"");
}

}  // namespace

// Six pooling modes concatenated (96 values), Dense 96 -> 8 with tanh, then Normalize.
TEST(SentenceVariantsGolden, AllPoolingModesDenseNormalize) {
  SentenceTransformer model(variant("all_pooling"));
  EXPECT_EQ(model.dimension(), 8);
  EXPECT_EQ(model.max_seq_length(), 64u);
  expect_embeddings(model, variants_expected()["all_pooling"], {}, "all_pooling");
}

// default_prompt_name "query" prepends "query: ", which mean pooling then leaves out
// (include_prompt false); prompt_name "doc" is the empty prompt.
TEST(SentenceVariantsGolden, PromptLeftOutOfPooling) {
  SentenceTransformer model(variant("prompt_excluded"));
  expect_embeddings(model, variants_expected()["prompt_excluded"]["default_prompt"], {}, "default prompt");
  SentenceEmbeddingOptions doc;
  doc.prompt_name = "doc";
  expect_embeddings(model, variants_expected()["prompt_excluded"]["prompt_name_doc"], doc, "prompt_name doc");
}

// A RoBERTa Transformer saved with do_lower_case and max_seq_length 8, CLS pooling. The fixture
// keeps only what differs from tiny-roberta-mnli: the saved model.safetensors holds the same encoder
// tensors (it links to them; the unused pooler is left out) and the saved tokenizer.json is
// tiny-bart-mnli's with a Lowercase normalizer, rebuilt here.
TEST(SentenceVariantsGolden, LowerCasingRobertaOfEightTokens) {
  json tokenizer = read_json_file(test::golden_model("tiny-bart-mnli") / "tokenizer.json");
  tokenizer["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array({{{"type", "Lowercase"}}})}};
  const auto dir = test::linked_dir_with(variant("roberta_lower"), "tokenizer.json", tokenizer.dump(), "lmpipe_st_roberta_lower");
  SentenceTransformer model(dir);
  EXPECT_EQ(model.max_seq_length(), 8u);
  expect_embeddings(model, variants_expected()["roberta_lower"], {}, "roberta_lower");
  std::filesystem::remove_all(dir);
}
