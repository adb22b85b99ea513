// The masked-LM and next-sentence heads of every encoder family, on the golden encoders with head
// weights added at random (no golden exists for them): key names, tying to the word embeddings,
// and the head's math against a plain reimplementation here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "lmpipe/fill_mask.h"
#include "lmpipe/tokenizer.h"
#include "model_test_util.h"
#include "models/model.h"
#include "tiny_repo.h"

using namespace lmpipe;
using ::testing::HasSubstr;
using test::error_of;
using test::TinyRepo;

namespace {

// decoder(LayerNorm(act(dense(x)))) in double, x (C), dense (E, C), decoder (V, E).
struct ReferenceHead {
  std::vector<float> dense_w, dense_b, norm_w, norm_b, decoder_w, decoder_b;
  bool relu = false;  // else exact gelu
  double eps = 1e-12;

  std::vector<double> operator()(const float* x, int64_t C) const {
    const int64_t E = static_cast<int64_t>(dense_b.size()), V = static_cast<int64_t>(decoder_b.size());
    std::vector<double> h(static_cast<size_t>(E));
    for (int64_t e = 0; e < E; ++e) {
      double s = dense_b[e];
      for (int64_t c = 0; c < C; ++c) s += double(dense_w[e * C + c]) * x[c];
      h[e] = relu ? std::max(s, 0.0) : 0.5 * s * (1 + std::erf(s / std::sqrt(2.0)));
    }
    double mean = 0, var = 0;
    for (double v : h) mean += v / E;
    for (double v : h) var += (v - mean) * (v - mean) / E;
    for (int64_t e = 0; e < E; ++e) h[e] = (h[e] - mean) / std::sqrt(var + eps) * norm_w[e] + norm_b[e];
    std::vector<double> logits(static_cast<size_t>(V));
    for (int64_t v = 0; v < V; ++v) {
      double s = decoder_b[v];
      for (int64_t e = 0; e < E; ++e) s += double(decoder_w[v * E + e]) * h[e];
      logits[v] = s;
    }
    return logits;
  }
};

// One text's batch and the positions of its mask tokens.
struct MaskedInput {
  Batch batch;
  std::vector<int64_t> positions;
};

MaskedInput masked_input(const std::filesystem::path& dir, const std::string& text) {
  const Tokenizer tokenizer = Tokenizer::from_dir(dir);
  const Encoding e = tokenizer.encode(text);
  MaskedInput in;
  in.batch.batch = 1;
  in.batch.seq_len = static_cast<int64_t>(e.size());
  in.batch.input_ids = e.ids;
  in.batch.attention_mask = e.attention_mask;
  if (tokenizer.returns_token_type_ids()) in.batch.token_type_ids = e.type_ids;
  for (size_t t = 0; t < e.size(); ++t)
    if (e.ids[t] == tokenizer.mask_token_id()) in.positions.push_back(static_cast<int64_t>(t));
  return in;
}

// The model's logits at the masks against the reference head on the encoder's hidden states.
void expect_head_matches(const std::filesystem::path& dir, const std::string& text, const ReferenceHead& head) {
  const MaskedInput in = masked_input(dir, text);
  ASSERT_FALSE(in.positions.empty()) << text;
  const auto mlm = load_masked_lm(dir);
  const Tensor logits = mlm->logits_at(in.batch, in.positions);
  const int64_t V = mlm->vocab_size();
  ASSERT_EQ(logits.shape(), (Shape{static_cast<int64_t>(in.positions.size()), V}));
  const Tensor hidden = load_encoder(dir)->encode(in.batch);
  const int64_t C = hidden.size(2);
  for (size_t m = 0; m < in.positions.size(); ++m) {
    const std::vector<double> want = head(hidden.data() + in.positions[m] * C, C);
    double worst = 0;
    for (int64_t v = 0; v < V; ++v) worst = std::max(worst, std::abs(logits.data()[m * V + v] - want[v]));
    EXPECT_LE(worst, 1e-4) << dir << " mask " << m;
  }
}

// RoBERTa with RobertaLMHead weights (lm_head.*) added, as RobertaForMaskedLM saves them.
TinyRepo roberta_mlm() {
  TinyRepo repo("tiny-roberta-mnli");
  repo.add_random("lm_head.dense.weight", {16, 16}, 1);
  repo.add_random("lm_head.dense.bias", {16}, 2);
  repo.add_random("lm_head.layer_norm.weight", {16}, 3);
  repo.add_random("lm_head.layer_norm.bias", {16}, 4);
  repo.add_random("lm_head.bias", {50265}, 5);
  repo.config["architectures"] = {"RobertaForMaskedLM"};
  return repo;
}

ReferenceHead reference(const TinyRepo& repo, const std::string& dense, const std::string& norm,
                        const std::string& decoder_w, const std::string& decoder_b, double eps) {
  return {repo[dense + ".weight"], repo[dense + ".bias"], repo[norm + ".weight"], repo[norm + ".bias"],
          repo[decoder_w], repo[decoder_b], false, eps};
}

}  // namespace

TEST(RobertaMaskedLM, DecoderTiedToWordEmbeddings) {
  const TinyRepo repo = roberta_mlm();
  expect_head_matches(repo.write("roberta_mlm"), "Paris is the <mask> of <mask>.",
                      reference(repo, "lm_head.dense", "lm_head.layer_norm", "roberta.embeddings.word_embeddings.weight",
                                "lm_head.bias", 1e-12));
}

// tie_word_embeddings: false uses the checkpoint's own decoder; older files name its bias decoder.bias.
TEST(RobertaMaskedLM, UntiedDecoderAndLegacyBiasName) {
  TinyRepo repo = roberta_mlm();
  repo.config["tie_word_embeddings"] = false;
  repo.add_random("lm_head.decoder.weight", {50265, 16}, 6);
  repo.weights["lm_head.decoder.bias"] = repo.weights.at("lm_head.bias");
  repo.weights.erase("lm_head.bias");
  expect_head_matches(repo.write("roberta_mlm_untied"), "Hello <mask>!",
                      reference(repo, "lm_head.dense", "lm_head.layer_norm", "lm_head.decoder.weight",
                                "lm_head.decoder.bias", 1e-12));
}

TEST(RobertaMaskedLM, MissingHeadWeightIsNamed) {
  TinyRepo repo = roberta_mlm();
  repo.weights.erase("lm_head.dense.weight");
  const auto dir = repo.write("roberta_mlm_no_head");
  EXPECT_THAT(error_of([&] { load_masked_lm(dir); }), HasSubstr("lm_head.dense.weight"));
}

// The pipeline with RoBERTa's own mask token and byte-level BPE tokens (a leading "Ġ" is a space).
TEST(RobertaMaskedLM, FillMaskWithRobertaTokenizer) {
  const auto dir = roberta_mlm().write("roberta_fill_mask");
  FillMaskPipeline unmasker(dir);
  EXPECT_EQ(unmasker.mask_token(), "<mask>");
  const Tokenizer tokenizer = Tokenizer::from_dir(dir);
  FillMaskOptions top3;
  top3.top_k = 3;
  const FillMaskResult result = unmasker.fill("The capital of France is <mask>.", top3);
  ASSERT_EQ(result.size(), 1u);
  ASSERT_EQ(result[0].size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const FillMaskCandidate& c = result[0][i];
    if (i > 0) {
      EXPECT_GE(result[0][i - 1].score, c.score);
    }
    EXPECT_EQ(c.token_str, tokenizer.decode({c.token}, false));
    EXPECT_NE(c.sequence.find(c.token_str), std::string::npos) << c.sequence;
    EXPECT_EQ(c.sequence.find("<mask>"), std::string::npos) << c.sequence;
  }
  // " Paris" is the vocabulary entry "ĠParis": exact entries are taken as they are.
  const auto paris = tokenizer.token_to_id("ĠParis");
  ASSERT_TRUE(paris);
  FillMaskOptions paris_only;
  paris_only.targets = {"ĠParis"};
  const FillMaskResult targeted = unmasker.fill("The capital of France is<mask>.", paris_only);
  ASSERT_EQ(targeted[0].size(), 1u);
  EXPECT_EQ(targeted[0][0].token, *paris);
  EXPECT_EQ(targeted[0][0].token_str, " Paris");
  EXPECT_EQ(targeted[0][0].sequence, "The capital of France is Paris.");
}

TEST(DistilBertMaskedLM, ProjectorTiedToWordEmbeddings) {
  TinyRepo repo("tiny-distilbert-mnli");
  repo.add_random("vocab_transform.weight", {16, 16}, 11);
  repo.add_random("vocab_transform.bias", {16}, 12);
  repo.add_random("vocab_layer_norm.weight", {16}, 13);
  repo.add_random("vocab_layer_norm.bias", {16}, 14);
  repo.add_random("vocab_projector.bias", {30522}, 15);
  repo.config["architectures"] = {"DistilBertForMaskedLM"};
  expect_head_matches(repo.write("distilbert_mlm"), "the [MASK] sat on the [MASK].",
                      reference(repo, "vocab_transform", "vocab_layer_norm",
                                "distilbert.embeddings.word_embeddings.weight", "vocab_projector.bias", 1e-12));
}

// A DistilBertModel checkpoint has no "distilbert." prefix; its encoder is the same.
TEST(DistilBertEncoder, BareAndPrefixedCheckpointsAgree) {
  TinyRepo repo("tiny-distilbert-mnli");
  const auto prefixed = repo.write("distilbert_prefixed");
  repo.rename_prefix("distilbert.", "");
  repo.config["architectures"] = {"DistilBertModel"};
  const auto bare = repo.write("distilbert_bare");
  const MaskedInput in = masked_input(prefixed, "hello [MASK] world");
  const Tensor a = load_encoder(prefixed)->encode(in.batch), b = load_encoder(bare)->encode(in.batch);
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(a.data()[i], b.data()[i]);
  EXPECT_THAT(error_of([&] { load_masked_lm(bare); }), HasSubstr("vocab_transform.weight"));
}

// DebertaV2ForMaskedLM: legacy cls.predictions (config.legacy, the default) and lm_predictions.lm_head.
TinyRepo deberta_with_legacy_head() {
  TinyRepo repo("tiny-deberta-v3-nli");
  repo.add_random("cls.predictions.transform.dense.weight", {32, 32}, 21);
  repo.add_random("cls.predictions.transform.dense.bias", {32}, 22);
  repo.add_random("cls.predictions.transform.LayerNorm.weight", {32}, 23);
  repo.add_random("cls.predictions.transform.LayerNorm.bias", {32}, 24);
  repo.add_random("cls.predictions.bias", {2000}, 25);
  repo.config["architectures"] = {"DebertaV2ForMaskedLM"};
  return repo;
}

TinyRepo deberta_with_lm_predictions() {
  TinyRepo repo("tiny-deberta-v3-nli");
  repo.add_random("lm_predictions.lm_head.dense.weight", {32, 32}, 31);
  repo.add_random("lm_predictions.lm_head.dense.bias", {32}, 32);
  repo.add_random("lm_predictions.lm_head.LayerNorm.weight", {32}, 33);
  repo.add_random("lm_predictions.lm_head.LayerNorm.bias", {32}, 34);
  repo.add_random("lm_predictions.lm_head.bias", {2000}, 35);
  repo.config["architectures"] = {"DebertaV2ForMaskedLM"};
  return repo;
}

TEST(DebertaV2MaskedLM, LegacyHead) {
  const TinyRepo repo = deberta_with_legacy_head();
  expect_head_matches(repo.write("deberta_legacy"), "The capital of France is [MASK].",
                      reference(repo, "cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm",
                                "deberta.embeddings.word_embeddings.weight", "cls.predictions.bias", 1e-7));
}

TEST(DebertaV2MaskedLM, LmPredictionsHead) {
  TinyRepo repo = deberta_with_lm_predictions();
  repo.config["legacy"] = false;
  const ReferenceHead head = reference(repo, "lm_predictions.lm_head.dense", "lm_predictions.lm_head.LayerNorm",
                                       "deberta.embeddings.word_embeddings.weight", "lm_predictions.lm_head.bias", 1e-7);
  expect_head_matches(repo.write("deberta_lm_predictions"), "[MASK] is the best [MASK].", head);
  // microsoft/deberta-v3-* configs have no `legacy` field but only these keys: the trained head is used.
  repo.config.erase("legacy");
  expect_head_matches(repo.write("deberta_lm_predictions_no_legacy_field"), "Hello [MASK].", head);
}

TEST(DebertaV2MaskedLM, NoHeadNamesTheKey) {
  const auto dir = TinyRepo("tiny-deberta-v3-nli").write("deberta_no_head");
  EXPECT_THAT(error_of([&] { load_masked_lm(dir); }), HasSubstr("cls.predictions.transform.dense.weight"));
  EXPECT_EQ(load_encoder(dir)->hidden_size(), 32);  // the encoder alone still loads
}

TEST(BertHeads, NextSentenceNeedsItsHead) {
  TinyRepo repo("tiny-bert");
  repo.weights.erase("cls.seq_relationship.weight");
  const auto dir = repo.write("bert_no_nsp");
  EXPECT_THAT(error_of([&] { load_next_sentence_predictor(dir); }), HasSubstr("cls.seq_relationship.weight"));
  EXPECT_NE(load_masked_lm(dir), nullptr);  // BertForMaskedLM needs only cls.predictions
}

TEST(BertHeads, BareBertModelHasNoMaskedLMHead) {
  const auto dir = test::golden_model("tiny-sentence-bert");
  EXPECT_THAT(error_of([&] { load_masked_lm(dir); }), HasSubstr("cls.predictions.transform.dense.weight"));
  EXPECT_THAT(error_of([&] { load_next_sentence_predictor(dir); }), HasSubstr("cls.seq_relationship.weight"));
}

TEST(AutoencodingRegistry, UnsupportedFamiliesAreNamed) {
  const std::string nsp = error_of([&] { load_next_sentence_predictor(test::golden_model("tiny-roberta-mnli")); });
  EXPECT_THAT(nsp, HasSubstr("config.json"));
  EXPECT_THAT(nsp, HasSubstr("'roberta' is not supported for next-sentence prediction"));
  const std::string mlm = error_of([&] { load_masked_lm(test::golden_model("tiny-gpt2-legacy")); });
  EXPECT_THAT(mlm, HasSubstr("'gpt2' is not supported for masked language modeling"));
  EXPECT_THAT(error_of([&] { load_encoder(test::golden_model("tiny-bart-mnli")); }), HasSubstr("'bart'"));
}

// The encoder of a bare BertModel checkpoint and of BertForPreTraining's, from the same weights.
TEST(AutoencodingRegistry, BareAndHeadCheckpointsGiveTheSameEncoder) {
  const MaskedInput in = masked_input(test::golden_model("tiny-bert"), "hello [MASK] world");
  const Tensor a = load_encoder(test::golden_model("tiny-bert"))->encode(in.batch);
  const Tensor b = load_encoder(test::golden_model("tiny-sentence-bert"))->encode(in.batch);
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(a.data()[i], b.data()[i]);
}
