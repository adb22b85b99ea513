// fill-mask, feature-extraction, next-sentence and sentence-embedding behaviour beyond the
// goldens: options, output shapes, and every bad input with the error that names it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
#include "model_test_util.h"
#include "pipelines/batching.h"
#include "tiny_repo.h"

using namespace lmpipe;
using ::testing::HasSubstr;
using test::error_of;

namespace fs = std::filesystem;

namespace {

fs::path bert() { return test::golden_model("tiny-bert"); }

// A fresh directory under the temp dir whose `files` link to `from`'s.
fs::path linked_dir(const std::string& name, const fs::path& from, const std::vector<std::string>& files) {
  const fs::path dir = fs::temp_directory_path() / ("lmpipe_pipelines_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& f : files) fs::create_symlink(fs::canonical(from / f), dir / f);
  return dir;
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

// tiny-sentence-bert's Transformer with the modules.json and module folders a test writes.
fs::path sentence_repo(const std::string& name) {
  return linked_dir(name, test::golden_model("tiny-sentence-bert"),
                    {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"});
}

const char* kTransformerModule = R"({"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"})";

std::string modules_json(const std::vector<std::string>& after_transformer) {
  std::string out = std::string("[") + kTransformerModule;
  for (const auto& m : after_transformer) out += ", " + m;
  return out + "]";
}

// Token features of `text` (tiny-bert's encoder, special tokens included): rows x 16.
std::vector<std::vector<float>> token_rows(const std::string& text) {
  static const FeatureExtractionPipeline extractor(test::golden_model("tiny-sentence-bert"));
  const TokenFeatures f = extractor.extract(text);
  std::vector<std::vector<float>> rows;
  for (int64_t t = 0; t < f.tokens; ++t)
    rows.emplace_back(f.values.begin() + t * f.hidden, f.values.begin() + (t + 1) * f.hidden);
  return rows;
}

void expect_near(const std::vector<float>& got, const std::vector<double>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << what << " [" << i << "]";
}

std::vector<double> mean_of(const std::vector<std::vector<float>>& rows, size_t begin = 0) {
  std::vector<double> m(rows[0].size(), 0.0);
  for (size_t t = begin; t < rows.size(); ++t)
    for (size_t c = 0; c < m.size(); ++c) m[c] += rows[t][c] / double(rows.size() - begin);
  return m;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// fill-mask

TEST(FillMask, InputWithoutMaskIsAnError) {
  FillMaskPipeline unmasker(bert());
  EXPECT_THAT(error_of([&] { unmasker.fill("No mask here."); }),
              HasSubstr("No mask_token ([MASK]) found on the input \"No mask here.\""));
  EXPECT_THAT(error_of([&] { unmasker.fill(std::string()); }), HasSubstr("No mask_token"));
}

TEST(FillMask, TargetOutsideTheVocabularyUsesItsFirstToken) {
  FillMaskPipeline unmasker(bert());
  const Tokenizer tokenizer = Tokenizer::from_dir(bert());
  EncodeOptions plain;
  plain.add_special_tokens = false;
  const std::string target = "qwertyuiopish";
  ASSERT_FALSE(tokenizer.token_to_id(target));
  const Encoding pieces = tokenizer.encode(target, plain);
  ASSERT_GT(pieces.size(), 1u);
  FillMaskOptions options;
  options.targets = {target, "stop", "stop"};  // duplicates count once
  const FillMaskResult r = unmasker.fill("Don't [MASK] now.", options);
  ASSERT_EQ(r[0].size(), 2u);  // top_k is capped at the number of distinct targets
  bool found = false;
  for (const auto& c : r[0]) {
    if (c.token != pieces.ids[0]) continue;
    found = true;
    EXPECT_EQ(c.token_str, tokenizer.decode({pieces.ids[0]}, false));
  }
  EXPECT_TRUE(found);
}

TEST(FillMask, TargetsThatTokenizeToNothingAreIgnored) {
  FillMaskPipeline unmasker(bert());
  FillMaskOptions options;
  options.targets = {"   ", "go"};
  EXPECT_EQ(unmasker.fill("Don't [MASK] now.", options)[0].size(), 1u);
  options.targets = {"   "};
  EXPECT_THAT(error_of([&] { unmasker.fill("Don't [MASK] now.", options); }),
              HasSubstr("At least one target must be provided when passed."));
}

TEST(FillMask, TopKAndOutputNesting) {
  auto unmasker = pipeline("fill-mask", bert().string());
  EXPECT_EQ((*unmasker)("a [MASK] b", {{"top_k", 2}}).size(), 2u);
  EXPECT_TRUE((*unmasker)("a [MASK] b", {{"top_k", 0}}).empty());
  EXPECT_THAT(error_of([&] { (*unmasker)("a [MASK] b", {{"top_k", -1}}); }), HasSubstr("top_k"));
  const json two_masks = (*unmasker)("[MASK] b [MASK]", {{"top_k", 3}});
  ASSERT_EQ(two_masks.size(), 2u);
  EXPECT_EQ(two_masks[1].size(), 3u);
  EXPECT_TRUE((*unmasker)(json::array({"a [MASK] b"}))[0].is_object());  // a list of one is unwrapped
  const json two_inputs = (*unmasker)(json::array({"a [MASK] b", "[MASK] c [MASK]"}));
  ASSERT_EQ(two_inputs.size(), 2u);
  EXPECT_TRUE(two_inputs[0][0].is_object());
  EXPECT_TRUE(two_inputs[1][0].is_array());
  EXPECT_THAT(error_of([&] { (*unmasker)("a [MASK]", {{"topk", 2}}); }), HasSubstr("unknown keyword argument 'topk'"));
}

TEST(FillMask, LongInputNeedsTruncation) {
  FillMaskPipeline unmasker(bert());
  std::string text = "[MASK]";
  for (int i = 0; i < 200; ++i) text += " word";
  EXPECT_THAT(error_of([&] { unmasker.fill(text); }), HasSubstr("truncat"));
  FillMaskOptions options;
  options.truncation = true;
  EXPECT_EQ(unmasker.fill(text, options)[0].size(), 5u);
  auto as_pipeline = pipeline("fill-mask", bert().string());
  EXPECT_EQ((*as_pipeline)(text, {{"tokenizer_kwargs", {{"truncation", true}, {"max_length", 16}}}}).size(), 5u);
}

TEST(FillMask, ModelWithoutMaskedLMHeadOrMaskToken) {
  EXPECT_THAT(error_of([] { FillMaskPipeline p(test::golden_model("tiny-gpt2-legacy")); }),
              HasSubstr("not supported for masked language modeling"));
  json config = read_json_file(bert() / "tokenizer_config.json");
  config.erase("mask_token");
  config["tokenizer_class"] = "SomeOtherTokenizer";
  const fs::path dir = linked_dir("no_mask_token", bert(), {"config.json", "model.safetensors", "tokenizer.json"});
  write(dir / "tokenizer_config.json", config.dump());
  EXPECT_THAT(error_of([&] { FillMaskPipeline p(dir); }), HasSubstr("does not define a `mask_token`"));
}

// transformers' tokenizer classes supply the mask and pad tokens when the files do not name them
// (distilroberta-base has no tokenizer_config.json, and its tokenizer.json no padding).
TEST(FillMask, MaskAndPadTokenDefaults) {
  const fs::path roberta = test::golden_model("tiny-roberta-mnli");
  const fs::path no_config = linked_dir("roberta_no_tokenizer_config", roberta, {"config.json"});
  json tokenizer = read_json_file(roberta / "tokenizer.json");
  tokenizer["padding"] = nullptr;
  write(no_config / "tokenizer.json", tokenizer.dump());
  EXPECT_EQ(Tokenizer::from_dir(no_config).mask_token().value_or(""), "<mask>");
  EXPECT_EQ(Tokenizer::from_dir(no_config).pad_token_id(), 1);
  json config = read_json_file(bert() / "tokenizer_config.json");
  config.erase("mask_token");
  const fs::path by_class = linked_dir("bert_class_default", bert(), {"tokenizer.json"});
  write(by_class / "tokenizer_config.json", config.dump());
  EXPECT_EQ(Tokenizer::from_dir(by_class).mask_token().value_or(""), "[MASK]");
  config["tokenizer_class"] = "SomeOtherTokenizer";
  write(by_class / "tokenizer_config.json", config.dump());
  write(by_class / "special_tokens_map.json", R"({"mask_token": {"content": "[MASK]", "lstrip": false}})");
  EXPECT_EQ(Tokenizer::from_dir(by_class).mask_token_id(), 103);
}

// ---------------------------------------------------------------------------------------------
// feature-extraction

TEST(FeatureExtraction, TruncationOptions) {
  auto extractor = pipeline("feature-extraction", bert().string());
  std::string text = "start";
  for (int i = 0; i < 200; ++i) text += " word";
  EXPECT_THAT(error_of([&] { (*extractor)(text); }), HasSubstr("truncat"));
  EXPECT_EQ((*extractor)(text, {{"truncation", true}})[0].size(), 128u);  // tokenizer model_max_length
  EXPECT_EQ((*extractor)(text, {{"tokenize_kwargs", {{"truncation", true}, {"max_length", 5}}}})[0].size(), 5u);
  EXPECT_EQ((*extractor)("Hello world", {{"tokenize_kwargs", {{"add_special_tokens", false}}}})[0].size(), 2u);
  EXPECT_THAT(error_of([&] { (*extractor)(text, {{"truncation", true}, {"tokenize_kwargs", {{"truncation", true}}}}); }),
              HasSubstr("truncation parameter defined twice"));
  EXPECT_THAT(error_of([&] { (*extractor)(text, {{"tokenize_kwargs", {{"stride", 2}}}}); }), HasSubstr("stride"));
}

TEST(FeatureExtraction, ShapesAndEmptyText) {
  auto extractor = pipeline("feature-extraction", bert().string());
  const json one = (*extractor)("Hello world");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].size(), 4u);      // [CLS] hello world [SEP]
  EXPECT_EQ(one[0][0].size(), 16u);  // hidden_size
  const json two = (*extractor)(json::array({"Hello world", "a b c"}));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1][0].size(), 5u);
  EXPECT_THAT(error_of([&] { (*extractor)(""); }), HasSubstr("empty text"));
}

// Three forward passes of 16 texts on two threads give exactly the features of one thread.
TEST(FeatureExtraction, FeaturesDoNotDependOnTheThreadCount) {
  const FeatureExtractionPipeline extractor(bert());
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) texts.push_back("text " + std::to_string(i) + std::string(i % 7, '?') + " to embed");
  const auto on = [&](int threads) {
    const test::ScopedThreadCount count(threads);
    return extractor.extract(texts);
  };
  const auto alone = on(1), together = on(2);
  ASSERT_EQ(together.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(together[i].values, alone[i].values) << texts[i];
}

// ---------------------------------------------------------------------------------------------
// next-sentence

TEST(NextSentence, InputsAndErrors) {
  auto nsp = pipeline("next-sentence-prediction", bert().string());
  const json r = (*nsp)({{"text", "The cat sat."}, {"text_pair", "It purred."}});
  ASSERT_EQ(r["probs"].size(), 2u);
  EXPECT_NEAR(r["probs"][0].get<double>() + r["probs"][1].get<double>(), 1.0, 1e-6);
  EXPECT_EQ(r["is_next"].get<bool>(), r["probs"][0].get<double>() > r["probs"][1].get<double>());
  EXPECT_EQ((*nsp)(json::array({"The cat sat.", "It purred."}))["logits"], r["logits"]);
  EXPECT_EQ((*nsp)(json::array({json::array({"a", "b"}), json::array({"c", "d"})})).size(), 2u);
  EXPECT_THAT(error_of([&] { (*nsp)(json::array({"", "It purred."})); }), HasSubstr("must not be empty"));
  EXPECT_THAT(error_of([&] { (*nsp)(json::array({1, 2, 3})); }), HasSubstr("text_pair"));
}

// ---------------------------------------------------------------------------------------------
// sentence embeddings

TEST(SentenceEmbeddings, UnknownModuleTypeIsNamed) {
  const fs::path dir = sentence_repo("unknown_module");
  write(dir / "modules.json",
        modules_json({R"({"idx": 1, "name": "1", "path": "1_Pooling", "type": "my_package.MyPooling"})"}));
  const std::string message = error_of([&] { SentenceTransformer m(dir); });
  EXPECT_THAT(message, HasSubstr("modules.json"));
  EXPECT_THAT(message, HasSubstr("my_package.MyPooling"));
  write(dir / "modules.json",
        modules_json({R"({"idx": 1, "name": "1", "path": "1_W", "type": "sentence_transformers.models.WordWeights"})"}));
  EXPECT_THAT(error_of([&] { SentenceTransformer m(dir); }), HasSubstr("WordWeights"));
}

TEST(SentenceEmbeddings, UnknownPoolingModeIsNamed) {
  const fs::path dir = sentence_repo("unknown_pooling");
  write(dir / "modules.json",
        modules_json({R"({"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"})"}));
  write(dir / "1_Pooling/config.json", R"({"embedding_dimension": 16, "pooling_mode": "median"})");
  const std::string message = error_of([&] { SentenceTransformer m(dir); });
  EXPECT_THAT(message, HasSubstr("1_Pooling/config.json"));
  EXPECT_THAT(message, HasSubstr("median"));
}

// Every mode at once (v6 list schema): the concatenation, in the list's order.
TEST(SentenceEmbeddings, AllPoolingModes) {
  const fs::path dir = sentence_repo("all_pooling");
  write(dir / "modules.json",
        modules_json({R"({"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"})"}));
  write(dir / "1_Pooling/config.json",
        R"({"embedding_dimension": 16, "pooling_mode": ["lasttoken", "cls", "max", "mean", "mean_sqrt_len_tokens", "weightedmean"]})");
  SentenceTransformer model(dir);
  EXPECT_EQ(model.dimension(), 96);
  const std::vector<std::string> texts = {"The quick brown fox jumps over the lazy dog.", "Hi"};
  const auto got = model.encode(texts);  // batched together: the short one is padded
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto rows = token_rows(texts[i]);
    const size_t T = rows.size(), C = 16;
    std::vector<double> want;
    want.insert(want.end(), rows[T - 1].begin(), rows[T - 1].end());
    want.insert(want.end(), rows[0].begin(), rows[0].end());
    for (size_t c = 0; c < C; ++c) {
      double m = rows[0][c];
      for (const auto& r : rows) m = std::max<double>(m, r[c]);
      want.push_back(m);
    }
    const std::vector<double> mean = mean_of(rows);
    want.insert(want.end(), mean.begin(), mean.end());
    for (double v : mean) want.push_back(v * double(T) / std::sqrt(double(T)));
    for (size_t c = 0; c < C; ++c) {
      double s = 0, w = 0;
      for (size_t t = 0; t < T; ++t) s += (t + 1.0) * rows[t][c], w += t + 1.0;
      want.push_back(s / w);
    }
    expect_near(got[i], want, texts[i]);
  }
}

// include_prompt=false leaves the prompt's tokens ([CLS] query :) out of the mean.
TEST(SentenceEmbeddings, PromptsAndIncludePrompt) {
  const fs::path dir = sentence_repo("prompts");
  write(dir / "modules.json",
        modules_json({R"({"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"})"}));
  write(dir / "1_Pooling/config.json", R"({"word_embedding_dimension": 16, "pooling_mode_mean_tokens": true, "include_prompt": false})");
  write(dir / "config_sentence_transformers.json",
        R"({"prompts": {"query": "query: ", "doc": ""}, "default_prompt_name": "query", "similarity_fn_name": "dot"})");
  SentenceTransformer model(dir);
  EXPECT_EQ(model.similarity_fn_name(), "dot");
  const auto rows = token_rows("query: what is it?");
  expect_near(model.encode("what is it?"), mean_of(rows, 3), "default prompt");
  SentenceEmbeddingOptions options;
  options.prompt_name = "doc";
  expect_near(model.encode("what is it?", options), mean_of(token_rows("what is it?")), "empty prompt");
  options.prompt_name = "nope";
  EXPECT_THAT(error_of([&] { model.encode("x", options); }), HasSubstr("prompt_name 'nope'"));
  const auto scores = model.similarity({{1, 2}}, {{3, 4}, {1, 0}});
  EXPECT_FLOAT_EQ(scores[0][0], 11.f);
  EXPECT_FLOAT_EQ(scores[0][1], 1.f);
}

// Pooling -> Dense (tanh) -> Normalize, and the normalize switch.
TEST(SentenceEmbeddings, DenseAndNormalizeModules) {
  test::TinyRepo dense_weights("tiny-sentence-bert");
  dense_weights.weights.clear();
  dense_weights.add_random("linear.weight", {8, 16}, 41);
  dense_weights.add_random("linear.bias", {8}, 42);
  const fs::path dir = sentence_repo("dense");
  const fs::path written = dense_weights.write("dense_module");
  fs::create_directories(dir / "2_Dense");
  fs::copy_file(written / "model.safetensors", dir / "2_Dense/model.safetensors");
  write(dir / "2_Dense/config.json",
        R"({"in_features": 16, "out_features": 8, "bias": true, "activation_function": "torch.nn.modules.activation.Tanh"})");
  write(dir / "1_Pooling/config.json", R"({"embedding_dimension": 16, "pooling_mode": "mean"})");
  write(dir / "modules.json",
        modules_json({R"({"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"})",
                      R"({"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"})",
                      R"({"idx": 3, "name": "3", "path": "3_Normalize", "type": "sentence_transformers.models.Normalize"})"}));
  SentenceTransformer model(dir);
  EXPECT_EQ(model.dimension(), 8);
  const std::vector<double> mean = mean_of(token_rows("A dense layer."));
  std::vector<double> want(8);
  double norm = 0;
  for (size_t o = 0; o < 8; ++o) {
    double s = dense_weights["linear.bias"][o];
    for (size_t c = 0; c < 16; ++c) s += dense_weights["linear.weight"][o * 16 + c] * mean[c];
    want[o] = std::tanh(s);
    norm += want[o] * want[o];
  }
  SentenceEmbeddingOptions skip;
  skip.normalize = false;
  expect_near(model.encode("A dense layer.", skip), want, "without Normalize");
  for (double& v : want) v /= std::sqrt(norm);
  expect_near(model.encode("A dense layer."), want, "with Normalize");
  SentenceEmbeddingOptions first4;
  first4.truncate_dim = 4;
  first4.normalize = true;
  const auto truncated = model.encode("A dense layer.", first4);
  ASSERT_EQ(truncated.size(), 4u);
  EXPECT_NEAR(cos_sim(truncated, truncated), 1.0, 1e-6);

  write(dir / "2_Dense/config.json", R"({"in_features": 16, "out_features": 8, "activation_function": "my.Swish"})");
  const std::string message = error_of([&] { SentenceTransformer m(dir); });
  EXPECT_THAT(message, HasSubstr("2_Dense/config.json"));
  EXPECT_THAT(message, HasSubstr("my.Swish"));
}

// A plain transformers model (no modules.json): mean pooling, nothing else.
TEST(SentenceEmbeddings, PlainModelGetsMeanPooling) {
  SentenceTransformer model(bert());
  EXPECT_EQ(model.max_seq_length(), 128u);
  expect_near(model.encode("Hello world"), mean_of(token_rows("Hello world")), "mean pooling");
}

// sentence_bert_config.json: max_seq_length truncates, do_lower_case lowercases (a cased tokenizer).
TEST(SentenceEmbeddings, TransformerSettings) {
  const fs::path dir = sentence_repo("settings");
  write(dir / "sentence_bert_config.json", R"({"max_seq_length": 6, "do_lower_case": false})");
  SentenceTransformer model(dir);
  EXPECT_EQ(model.max_seq_length(), 6u);
  expect_near(model.encode("one two three four five six seven"), mean_of(token_rows("one two three four")),
              "truncated to 6 tokens");
  const fs::path roberta = linked_dir("lowercase", test::golden_model("tiny-roberta-mnli"),
                                      {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"});
  write(roberta / "sentence_roberta_config.json", R"({"max_seq_length": 32, "do_lower_case": true})");
  SentenceTransformer lower(roberta);
  const auto a = lower.encode("HELLO World"), b = lower.encode("hello world");
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]);
}

// sentence-transformers 6 names the Transformer's task and output: a sparse encoder (fill-mask
// logits) or another output is an error naming the file, not a silently wrong pooling.
TEST(SentenceEmbeddings, TransformerTaskOtherThanFeatureExtractionIsNamed) {
  const fs::path dir = sentence_repo("v6_task");
  write(dir / "sentence_bert_config.json", R"({"transformer_task": "feature-extraction",
    "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
    "module_output_name": "token_embeddings"})");
  EXPECT_NO_THROW(SentenceTransformer m(dir));
  write(dir / "sentence_bert_config.json", R"({"transformer_task": "fill-mask",
    "modality_config": {"text": {"method": "forward", "method_output_name": "logits"}}, "module_output_name": "token_embeddings"})");
  std::string message = error_of([&] { SentenceTransformer m(dir); });
  EXPECT_THAT(message, HasSubstr("sentence_bert_config.json"));
  EXPECT_THAT(message, HasSubstr("fill-mask"));
  write(dir / "sentence_bert_config.json",
        R"({"modality_config": {"text": {"method": "forward", "method_output_name": "pooler_output"}}})");
  EXPECT_THAT(error_of([&] { SentenceTransformer m(dir); }), HasSubstr("pooler_output"));
  write(dir / "sentence_bert_config.json", R"({"modality_config": {"image": {"method": "get_image_features"}}})");
  EXPECT_THAT(error_of([&] { SentenceTransformer m(dir); }), HasSubstr("image"));
}

TEST(SentenceEmbeddings, CosineSimilarity) {
  EXPECT_FLOAT_EQ(cos_sim({1, 0}, {0, 1}), 0.f);
  EXPECT_FLOAT_EQ(cos_sim({1, 1}, {2, 2}), 1.f);
  EXPECT_FLOAT_EQ(cos_sim({0, 0}, {2, 2}), 0.f);
  EXPECT_THAT(error_of([] { cos_sim({1}, {1, 2}); }), HasSubstr("different sizes"));
}

// Batches run side by side on the threads (one forward per thread) give exactly what each
// sentence encoded alone gives: no row's sums depend on the other rows or on the thread count.
TEST(SentenceEmbeddings, BatchesSideBySideMatchOneAtATime) {
  const SentenceTransformer model(test::golden_model("tiny-sentence-bert"));
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) texts.push_back("sentence " + std::to_string(i) + std::string(i % 5, '!') + " of some length");
  const test::ScopedThreadCount two(2);
  for (size_t batch_size : {2, 32}) {  // 20 batches of 2; ranges of 10, 8, 8, 8 and 6 sentences
    SentenceEmbeddingOptions options;
    options.batch_size = batch_size;
    const auto together = model.encode(texts, options);
    ASSERT_EQ(together.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(together[i], model.encode(texts[i])) << texts[i];
  }
}

// Side by side, the ranges shrink towards the end so the threads finish together; one thread
// takes sentence-transformers' own batches.
TEST(SentenceEmbeddings, BatchRangesCoverTheInputInOrder) {
  using Ranges = std::vector<std::pair<size_t, size_t>>;
  EXPECT_EQ(batch_ranges(70, 32, 1), (Ranges{{0, 32}, {32, 64}, {64, 70}}));
  EXPECT_EQ(batch_ranges(0, 32, 2), Ranges{});
  EXPECT_EQ(batch_ranges(40, 32, 2), (Ranges{{0, 10}, {10, 18}, {18, 26}, {26, 34}, {34, 40}}));
  const Ranges ranges = batch_ranges(256, 32, 2);
  size_t next = 0, previous = 32;
  for (const auto& [begin, end] : ranges) {
    EXPECT_EQ(begin, next);
    EXPECT_LE(end - begin, previous);  // never growing again
    previous = end - begin;
    next = end;
  }
  EXPECT_EQ(next, 256u);
  EXPECT_EQ(ranges.front().second, 32u);
  EXPECT_LE(ranges.back().second - ranges.back().first, kMinShare);
  EXPECT_THAT(error_of([] { batch_ranges(3, 0, 2); }), HasSubstr("batch_size"));
}
