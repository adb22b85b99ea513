// config.json parsing (and every golden's generation_config.json): every golden model's files parse, typed values
// match the files, defaults are transformers', and bad files name the file and field.
#include <gtest/gtest.h>

#include "io/config.h"
#include "lmpipe/generation.h"
#include "io_test_util.h"
#include "models/gpt2_config.h"
#include "models/t5_config.h"
#include "test_util.h"

using namespace lmpipe;
using test::expect_error;

TEST(IoConfig, EveryGoldenConfigParses) {
  int configs = 0, generation_configs = 0;
  for (const auto& dir : test::golden_model_dirs()) {
    SCOPED_TRACE(dir.string());
    ModelConfig config = ModelConfig::load(dir);
    EXPECT_FALSE(config.model_type().empty());
    ++configs;
    if (std::filesystem::exists(dir / "generation_config.json")) ++generation_configs;
    GenerationConfig::load(dir);  // generation_config.json, or config.json's fields
    if (config.model_type() == "gpt2") GPT2Config::from_config(config);
    if (config.model_type() == "t5") T5Config::from_config(config);
  }
  EXPECT_EQ(configs, 24);
  EXPECT_EQ(generation_configs, 5);
}

TEST(IoConfig, TypedAccessAndErrors) {
  ModelConfig c = ModelConfig::load(test::golden_model("tiny-bert"));
  EXPECT_EQ(c.get<int64_t>("hidden_size"), 16);
  EXPECT_DOUBLE_EQ(c.get<double>("layer_norm_eps"), 1e-12);
  EXPECT_EQ(c.get<std::string>("hidden_act"), "gelu");
  EXPECT_FALSE(c.has("bos_token_id"));  // null
  EXPECT_EQ(c.get_optional<int64_t>("bos_token_id"), std::nullopt);
  EXPECT_EQ(c.get_or<int64_t>("not_there", 7), 7);
  const std::string file = (test::golden_model("tiny-bert") / "config.json").string();
  expect_error([&] { c.get<int64_t>("not_there"); }, {file, "missing field 'not_there'"});
  expect_error([&] { c.get<int64_t>("hidden_act"); }, {file, "'hidden_act'", "an integer"});
  expect_error([&] { c.get<bool>("hidden_size"); }, {file, "'hidden_size'", "a boolean"});
  expect_error([&] { c.get<int64_t>("layer_norm_eps"); }, {file, "'layer_norm_eps'", "an integer"});
}

TEST(IoConfig, InvalidOrMissingConfigJson) {
  test::ScratchDir dir;
  expect_error([&] { ModelConfig::load(dir.path()); }, {(dir / "config.json").string(), "missing"});
  test::write_file(dir / "config.json", R"({"model_type": "bert",)");
  expect_error([&] { ModelConfig::load(dir.path()); }, {(dir / "config.json").string(), "invalid JSON"});
  test::write_file(dir / "config.json", "[1]");
  expect_error([&] { ModelConfig::load(dir.path()); }, {(dir / "config.json").string(), "JSON object"});
}

TEST(IoModelConfigs, Gpt2) {
  GPT2Config g = GPT2Config::from_config(ModelConfig::load(test::golden_model("tiny-gpt2-bf16")));
  EXPECT_EQ(g.vocab_size, 50257);
  EXPECT_EQ(g.n_positions, 128);
  EXPECT_EQ(g.n_embd, 16);
  EXPECT_EQ(g.n_layer, 2);
  EXPECT_EQ(g.n_head, 4);
  EXPECT_EQ(g.head_dim(), 4);
  EXPECT_EQ(g.n_inner, 64);  // null -> 4 * n_embd
  EXPECT_EQ(g.activation_function, "gelu_new");
  EXPECT_DOUBLE_EQ(g.layer_norm_epsilon, 1e-5);
  EXPECT_TRUE(g.scale_attn_weights);
  EXPECT_FALSE(g.scale_attn_by_inverse_layer_idx);
  EXPECT_TRUE(g.tie_word_embeddings);
  EXPECT_EQ(g.eos_token_id, 50256);
  EXPECT_EQ(g.pad_token_id, std::nullopt);

  // attribute_map aliases and transformers' defaults.
  GPT2Config d = GPT2Config::from_config(ModelConfig("config.json", {{"hidden_size", 32}, {"num_attention_heads", 2}}));
  EXPECT_EQ(d.n_embd, 32);
  EXPECT_EQ(d.n_head, 2);
  EXPECT_EQ(d.n_layer, 12);
  EXPECT_EQ(d.n_inner, 128);
  EXPECT_EQ(d.bos_token_id, 50256);
  expect_error([] { GPT2Config::from_config(ModelConfig("config.json", {{"n_embd", 10}, {"n_head", 4}})); },
               {"config.json", "not divisible"});
  expect_error([] { GPT2Config::from_config(ModelConfig("config.json", {{"model_type", "bert"}})); }, {"not gpt2"});
}

TEST(IoModelConfigs, T5) {
  T5Config t = T5Config::from_config(ModelConfig::load(test::golden_model("tiny-t5")));
  EXPECT_EQ(t.vocab_size, 2100);
  EXPECT_EQ(t.d_model, 32);
  EXPECT_EQ(t.d_kv, 8);
  EXPECT_EQ(t.d_ff, 64);
  EXPECT_EQ(t.num_layers, 2);
  EXPECT_EQ(t.num_decoder_layers, 2);
  EXPECT_EQ(t.num_heads, 4);
  EXPECT_EQ(t.relative_attention_num_buckets, 32);
  EXPECT_EQ(t.relative_attention_max_distance, 128);
  EXPECT_DOUBLE_EQ(t.layer_norm_epsilon, 1e-6);
  EXPECT_EQ(t.dense_act_fn, "relu");
  EXPECT_FALSE(t.is_gated_act);
  EXPECT_TRUE(t.scale_decoder_outputs);
  EXPECT_EQ(t.decoder_start_token_id, 0);
  EXPECT_EQ(t.eos_token_id, (std::vector<int64_t>{1}));

  T5Config flan = T5Config::from_config(ModelConfig::load(test::golden_model("tiny-flan-t5")));
  EXPECT_TRUE(flan.is_gated_act);
  EXPECT_EQ(flan.dense_act_fn, "gelu_new");
  EXPECT_FALSE(flan.scale_decoder_outputs);

  T5Config d = T5Config::from_config(ModelConfig("config.json", {{"num_layers", 3}, {"feed_forward_proj", "gated-silu"},
                                                                 {"tie_word_embeddings", false}}));
  EXPECT_EQ(d.num_decoder_layers, 3);
  EXPECT_EQ(d.dense_act_fn, "silu");
  EXPECT_TRUE(d.is_gated_act);
  EXPECT_FALSE(d.scale_decoder_outputs);  // older configs: implied by tie_word_embeddings
  EXPECT_EQ(d.d_model, 512);
  for (const char* bad : {"foo-relu", "gated-gelu-x"})
    expect_error([&] { T5Config::from_config(ModelConfig("config.json", {{"feed_forward_proj", bad}})); },
                 {"config.json", "feed_forward_proj"});
}
