// GenerationConfig: generation_config.json / config.json / call arguments parsed with every field
// optional, layered as transformers v5's generate() does, and bad values named with their field.
#include <gtest/gtest.h>

#include "io_test_util.h"
#include "lmpipe/generation.h"
#include "test_util.h"

using namespace lmpipe;
using test::expect_error;
using Early = GenerationConfig::EarlyStopping;

TEST(GenerationConfig, BartCnnSummarizationSettings) {
  GenerationConfig g = GenerationConfig::load(test::golden_model("tiny-bart-cnn"));
  EXPECT_EQ(g.num_beams, 4);
  EXPECT_EQ(g.no_repeat_ngram_size, 3);
  EXPECT_EQ(g.length_penalty, 2.0);
  EXPECT_EQ(g.early_stopping, Early::WhenDone);
  EXPECT_EQ(g.max_length, 24);
  EXPECT_EQ(g.min_length, 4);
  EXPECT_EQ(g.bos_token_id, 0);
  EXPECT_EQ(g.eos_token_id, (std::vector<int64_t>{2}));
  EXPECT_EQ(g.pad_token_id, 1);
  EXPECT_EQ(g.decoder_start_token_id, 2);
  EXPECT_EQ(g.forced_bos_token_id, 0);
  EXPECT_EQ(g.forced_eos_token_id, (std::vector<int64_t>{2}));
  EXPECT_EQ(g.do_sample, std::nullopt);  // unset, not false: the layers below decide
}

TEST(GenerationConfig, UnsetFieldsStayUnsetUntilDefaultsFillThem) {
  GenerationConfig g = GenerationConfig::load(test::golden_model("tiny-gpt2-bf16"));
  EXPECT_EQ(g.max_length, std::nullopt);
  EXPECT_EQ(g.top_k, std::nullopt);
  EXPECT_EQ(g.bos_token_id, 50256);
  EXPECT_EQ(g.eos_token_id, (std::vector<int64_t>{50256}));
  EXPECT_EQ(g.pad_token_id, std::nullopt);
  g.fill_unset(GenerationConfig::defaults());
  EXPECT_EQ(g.max_length, 20);
  EXPECT_EQ(g.min_length, 0);
  EXPECT_EQ(g.num_beams, 1);
  EXPECT_EQ(g.do_sample, false);
  EXPECT_EQ(g.temperature, 1.0);
  EXPECT_EQ(g.top_k, 50);
  EXPECT_EQ(g.top_p, 1.0);
  EXPECT_EQ(g.min_p, std::nullopt);
  EXPECT_EQ(g.repetition_penalty, 1.0);
  EXPECT_EQ(g.length_penalty, 1.0);
  EXPECT_EQ(g.early_stopping, Early::Heuristic);
  EXPECT_EQ(g.max_new_tokens, std::nullopt);
  EXPECT_EQ(g.pad_token_id, std::nullopt);

  GenerationConfig t5 = GenerationConfig::load(test::golden_model("tiny-t5"));
  EXPECT_EQ(t5.decoder_start_token_id, 0);
  EXPECT_EQ(t5.pad_token_id, 0);
  EXPECT_EQ(t5.eos_token_id, (std::vector<int64_t>{1}));
}

TEST(GenerationConfig, FallsBackToConfigJson) {
  // tiny-bart-mnli has no generation_config.json; its config.json carries the token ids.
  GenerationConfig g = GenerationConfig::load(test::golden_model("tiny-bart-mnli"));
  EXPECT_EQ(g.forced_eos_token_id, (std::vector<int64_t>{2}));
  EXPECT_EQ(g.decoder_start_token_id, 2);
  EXPECT_EQ(g.eos_token_id, (std::vector<int64_t>{2}));
  EXPECT_EQ(g.num_beams, std::nullopt);
}

TEST(GenerationConfig, LayersOverrideInOrder) {
  GenerationConfig kwargs = GenerationConfig::from_json({{"num_beams", 2}, {"max_new_tokens", 5}}, "kwargs", true);
  GenerationConfig passed = GenerationConfig::from_json({{"max_new_tokens", 256}, {"num_beams", 4}, {"top_k", 7}}, "p");
  GenerationConfig model = GenerationConfig::from_json({{"top_k", 3}, {"top_p", 0.5}, {"num_beams", 6}}, "m");
  GenerationConfig g = passed;
  g.fill_unset(model);
  g.fill_unset(GenerationConfig::defaults());
  g.update(kwargs);
  EXPECT_EQ(g.num_beams, 2);        // kwargs
  EXPECT_EQ(g.max_new_tokens, 5);   // kwargs
  EXPECT_EQ(g.top_k, 7);            // passed over the model's
  EXPECT_EQ(g.top_p, 0.5);          // model's over the default
  EXPECT_EQ(g.temperature, 1.0);    // default
  EXPECT_EQ(g.to_json()["num_beams"], 2);
}

TEST(GenerationConfig, ListsNeverAndBadValues) {
  test::ScratchDir dir;
  const auto file = dir / "generation_config.json";
  test::write_file(file, R"({"eos_token_id": [1, 2], "early_stopping": "never", "max_new_tokens": 5,
                             "do_sample": true, "temperature": 0.7, "top_k": 10, "top_p": 0.9,
                             "repetition_penalty": 1.3, "forced_eos_token_id": [3, 4],
                             "bad_words_ids": [[5], [6, 7]], "stop_strings": "###", "some_other_key": 1})");
  GenerationConfig g = GenerationConfig::load(dir.path());
  EXPECT_EQ(g.eos_token_id, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(g.forced_eos_token_id, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(g.early_stopping, Early::Never);
  EXPECT_EQ(g.max_new_tokens, 5);
  EXPECT_EQ(g.do_sample, true);
  EXPECT_EQ(g.temperature, 0.7);
  EXPECT_EQ(g.top_k, 10);
  EXPECT_EQ(g.top_p, 0.9);
  EXPECT_EQ(g.repetition_penalty, 1.3);
  EXPECT_EQ(g.bad_words_ids, (std::vector<std::vector<int64_t>>{{5}, {6, 7}}));
  EXPECT_EQ(g.stop_strings, (std::vector<std::string>{"###"}));

  const std::string where = file.string();
  auto load_error = [&](const std::string& text, std::vector<std::string> parts) {
    test::write_file(file, text);
    expect_error([&] { GenerationConfig::load(dir.path()); }, parts);
  };
  load_error(R"({"num_beams": "4"})", {where, "'num_beams'", "an integer"});
  load_error(R"({"eos_token_id": [1, "x"]})", {where, "'eos_token_id'"});
  load_error(R"({"early_stopping": "sometimes"})", {where, "'early_stopping'"});
  load_error(R"({"num_beams": 0})", {where, "'num_beams'", ">= 1"});
  load_error(R"({"top_p": 1.5})", {where, "'top_p'"});
  load_error(R"({"max_new_tokens": 0})", {where, "'max_new_tokens'", "greater than 0"});
  load_error(R"({"temperature": 0})", {where, "'temperature'"});
  load_error(R"({"bad_words_ids": [5]})", {where, "'bad_words_ids'"});
  load_error(R"({"num_beams": 4,)", {where, "invalid JSON"});
  expect_error([] { GenerationConfig::from_json({{"max_new_token", 5}}, "kwargs", true); },
               {"kwargs", "'max_new_token'", "not a generation argument"});
  expect_error([] { GenerationConfig::from_json({{"typical_p", 0.9}}, "kwargs", true); },
               {"kwargs", "'typical_p'", "not supported"});
}
