// The text-generation, summarization, translation and text2text pipelines: transformers' outputs
// on the goldens, their keyword arguments and output shapes, streaming, and bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "generation_test_util.h"
#include "lmpipe/pipeline.h"
#include "lmpipe/text_generation.h"

using namespace lmpipe;
using ::testing::HasSubstr;

namespace {

const Pipeline& gpt2_pipeline() {
  static auto p = pipeline("text-generation", test::golden_model("tiny-gpt2-bf16").string());
  return *p;
}

TEST(TextGenerationPipeline, MatchesTransformers) {
  const json expected = test::golden_expected("tiny-gpt2-bf16")["pipeline"];
  json kwargs = expected["kwargs"];
  kwargs["pad_token_id"] = 50256;
  EXPECT_EQ(gpt2_pipeline()(expected["prompt"], kwargs), expected["output"]);
}

TEST(TextGenerationPipeline, ReturnTypes) {
  const json greedy = test::golden_expected("tiny-gpt2-bf16")["greedy"]["public"][0];
  const json prompt = greedy["prompt"];
  const json kwargs = {{"do_sample", false}, {"max_new_tokens", 12}};
  json ids = gpt2_pipeline()(prompt, {{"do_sample", false}, {"max_new_tokens", 12}, {"return_tensors", true}});
  EXPECT_EQ(ids, json::array({{{"generated_token_ids", greedy["output_ids"]}}}));
  const std::string full = gpt2_pipeline()(prompt, kwargs)[0]["generated_text"];
  const std::string added = gpt2_pipeline()(prompt, {{"do_sample", false}, {"max_new_tokens", 12}, {"return_full_text", false}})[0]["generated_text"];
  EXPECT_EQ(full, greedy["text"].get<std::string>());
  EXPECT_EQ(prompt.get<std::string>() + added, full);
  EXPECT_THAT(test::error_of([&] { gpt2_pipeline()(prompt, {{"return_full_text", true}, {"return_tensors", true}}); }),
              HasSubstr("mutually exclusive"));
}

TEST(TextGenerationPipeline, ListsAndLeftPaddedBatches) {
  const json prompts = {"Hello", "The transformer architecture", "2017년 google brain 팀은"};
  const json kwargs = {{"do_sample", false}, {"max_new_tokens", 6}};
  const json one_by_one = gpt2_pipeline()(prompts, kwargs);
  ASSERT_EQ(one_by_one.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(one_by_one[i].is_array());
    EXPECT_EQ(one_by_one[i], gpt2_pipeline()(prompts[i], kwargs));
  }
  json batched_kwargs = kwargs;
  batched_kwargs["batch_size"] = 3;
  EXPECT_EQ(gpt2_pipeline()(prompts, batched_kwargs), one_by_one);
}

TEST(TextGenerationPipeline, SamplingReturnsSeveralSequencesReproducibly) {
  const json kwargs = {{"do_sample", true}, {"max_new_tokens", 5}, {"num_return_sequences", 3}, {"seed", 7}};
  const json a = gpt2_pipeline()("Hello", kwargs);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(gpt2_pipeline()("Hello", kwargs), a);
}

TEST(TextGenerationPipeline, StreamsTheGeneratedText) {
  std::string streamed;
  int ends = 0;
  const json kwargs = {{"do_sample", false}, {"max_new_tokens", 12}};
  const json out = dynamic_cast<const TextGenerationPipeline&>(gpt2_pipeline())
                       .stream("If you don't", kwargs, [&](const std::string& text, bool end) {
                         streamed += text;
                         ends += end;
                       });
  EXPECT_EQ(ends, 1);
  EXPECT_EQ("If you don't" + streamed, out[0]["generated_text"].get<std::string>());
}

TEST(TextGenerationPipeline, EmptyPromptStartsFromBos) {
  const json out = gpt2_pipeline()("", {{"do_sample", false}, {"max_new_tokens", 3}, {"return_tensors", true}});
  EXPECT_EQ(out[0]["generated_token_ids"][0], 50256);
  EXPECT_EQ(out[0]["generated_token_ids"].size(), 4u);
}

TEST(TextGenerationPipeline, BadInputIsAClearError) {
  auto error = [](const json& inputs, const json& kwargs) {
    return test::error_of([&] { gpt2_pipeline()(inputs, kwargs); });
  };
  EXPECT_THAT(error("Hi", {{"max_new_tokens", 0}}), HasSubstr("max_new_tokens"));
  EXPECT_THAT(error("Hi", {{"max_new_tokens", 500}}), HasSubstr("n_positions"));
  EXPECT_THAT(error("Hi", {{"max_new_tokens", 5}, {"num_beams", 2}, {"num_return_sequences", 3}}),
              HasSubstr("num_return_sequences"));
  EXPECT_THAT(error("Hi", {{"max_new_tokens", 5}, {"num_return_sequences", 2}}), HasSubstr("Greedy"));
  // The pipeline's default of 256 new tokens does not fit the tiny model's 128 positions.
  EXPECT_THAT(error("Hi", json::object()), HasSubstr("max_new_tokens"));
  EXPECT_THAT(error("Hi", {{"max_new_token", 5}}), HasSubstr("'max_new_token'"));
  EXPECT_THAT(error("Hi", {{"temperature", 0}}), HasSubstr("temperature"));
  EXPECT_THAT(error(json::array(), json::object()), HasSubstr("non-empty list"));
  EXPECT_THAT(error(5, json::object()), HasSubstr("string"));
  EXPECT_THAT(test::error_of([] { pipeline("text-generation", test::golden_model("tiny-t5").string()); }),
              HasSubstr("decoder-only"));
  EXPECT_THAT(test::error_of([] { pipeline("summarization", test::golden_model("tiny-gpt2-bf16").string()); }),
              HasSubstr("encoder-decoder"));
  EXPECT_THAT(test::error_of([] { pipeline("text-generation", test::golden_model("tiny-bert").string()); }),
              HasSubstr("cannot generate"));
  EXPECT_THAT(test::error_of([] { pipeline("text-writing", test::golden_model("tiny-bert").string()); }),
              HasSubstr("unknown task"));
}

TEST(SummarizationPipeline, UsesTheModelsGenerationConfig) {
  auto summarizer = pipeline("summarization", test::golden_model("tiny-bart-cnn").string());
  const json expected = test::golden_expected("tiny-bart-cnn")["generate_default"]["public"];
  for (const auto& c : expected)
    EXPECT_EQ((*summarizer)(c["input"]), json::array({{{"summary_text", c["text"]}}})) << c["input"];
  // A list of texts with one summary each: a flat list of records.
  const json both = (*summarizer)(json::array({expected[0]["input"], expected[1]["input"]}));
  EXPECT_EQ(both, json::array({{{"summary_text", expected[0]["text"]}}, {{"summary_text", expected[1]["text"]}}}));
  const json ids = (*summarizer)(expected[0]["input"], {{"return_tensors", true}});
  EXPECT_EQ(ids[0]["summary_token_ids"], expected[0]["output_ids"]);
  // Batched: inputs of different lengths padded together, 4 beams each over the shared encoder output.
  EXPECT_EQ((*summarizer)(json::array({expected[0]["input"], expected[1]["input"]}), {{"batch_size", 2}}), both);
}

TEST(Text2TextPipeline, BatchesGiveTheSameTextAsOneByOne) {
  auto t2t = pipeline("text2text-generation", test::golden_model("tiny-flan-t5").string());
  json texts = json::array();
  const json expected = test::golden_expected("tiny-flan-t5");
  for (const auto& c : expected["greedy"]["public"]) texts.push_back(c["input"]);
  for (const json& kwargs : {json{{"num_beams", 1}, {"max_new_tokens", 10}}, json{{"num_beams", 3}, {"max_new_tokens", 8}}}) {
    json batched = kwargs;
    batched["batch_size"] = 3;
    EXPECT_EQ((*t2t)(texts, batched), (*t2t)(texts, kwargs)) << kwargs;
  }
}

TEST(Text2TextPipeline, OutputsTooLongForMemoryAreRefused) {
  // T5 has relative positions, so only memory bounds the output length.
  auto t2t = pipeline("text2text-generation", test::golden_model("tiny-t5").string());
  EXPECT_THAT(test::error_of([&] { (*t2t)("x", {{"max_new_tokens", int64_t{1} << 40}}); }), HasSubstr("max_new_tokens"));
}

TEST(Text2TextPipeline, T5GreedyText) {
  for (const char* model : {"tiny-t5", "tiny-flan-t5"}) {
    auto t2t = pipeline("text2text-generation", test::golden_model(model).string());
    const json expected = test::golden_expected(model);
    for (const auto& c : expected["greedy"]["public"])
      EXPECT_EQ((*t2t)(c["input"], {{"num_beams", 1}, {"max_new_tokens", 10}}),
                json::array({{{"generated_text", c["text"]}}}))
          << model << ": " << c["input"];
  }
}

TEST(TranslationPipeline, TaskPrefixFromTaskSpecificParams) {
  json config = test::golden_config("tiny-t5");
  config["task_specific_params"] = {
      {"translation_en_to_de", {{"prefix", "translate English to German: "}, {"num_beams", 1}, {"max_length", 300}}}};
  const auto dir = test::model_with_config("tiny-t5", config, "t5_translation");
  auto translator = pipeline("translation_en_to_de", dir.string());
  const json greedy = test::golden_expected("tiny-t5")["greedy"]["public"][0];  // "translate English to German: ..."
  EXPECT_EQ((*translator)("The house is wonderful.", {{"max_new_tokens", 10}}),
            json::array({{{"translation_text", greedy["text"]}}}));
}

}  // namespace
