#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "models/model.h"
#include "model_test_util.h"
#include "util/error.h"
#include "util/json.h"

using namespace lmpipe;

namespace {

const char* kModel = "tiny-deberta-v3-nli";

struct Weight {
  Shape shape;
  std::vector<float> data;
};
using Weights = std::map<std::string, Weight>;

Weights golden_weights() {
  Weights weights;
  Checkpoint ckpt = Checkpoint::open(test::golden_model(kModel));
  for (const auto& name : ckpt.names()) {
    Tensor t = ckpt.load(name);
    weights[name] = {t.shape(), std::vector<float>(t.data(), t.data() + t.numel())};
  }
  return weights;
}

// F32 safetensors: 8-byte little-endian header size, JSON header, data.
void write_safetensors(const std::filesystem::path& file, const Weights& weights) {
  json header = json::object();
  size_t offset = 0;
  for (const auto& [name, w] : weights) {
    const size_t bytes = w.data.size() * sizeof(float);
    header[name] = {{"dtype", "F32"}, {"shape", w.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  const std::string text = header.dump();
  const uint64_t size = text.size();
  std::ofstream out(file, std::ios::binary);
  char size_bytes[8];
  for (int i = 0; i < 8; ++i) size_bytes[i] = static_cast<char>((size >> (8 * i)) & 0xff);
  out.write(size_bytes, 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& [name, w] : weights)
    out.write(reinterpret_cast<const char*>(w.data.data()), static_cast<std::streamsize>(w.data.size() * sizeof(float)));
}

// The model directory with its config.json edited by `edit` and, optionally, its weights replaced.
std::filesystem::path model_with_config(const std::string& name, const std::function<void(json&)>& edit,
                                        const Weights* weights = nullptr) {
  json config = test::golden_config(kModel);
  edit(config);
  const auto dir = test::model_with_config(kModel, config, "deberta_" + name);
  if (weights) {
    std::filesystem::remove(dir / "model.safetensors");
    write_safetensors(dir / "model.safetensors", *weights);
  }
  return dir;
}

// Deterministic pseudo-random values in [-scale, scale).
std::vector<float> noise(size_t n, float scale, uint32_t seed) {
  std::vector<float> v(n);
  for (auto& x : v) {
    seed = seed * 1664525u + 1013904223u;
    x = scale * (static_cast<float>(seed >> 8) / static_cast<float>(1u << 24) * 2.f - 1.f);
  }
  return v;
}

Tensor classify_golden_batch(const std::filesystem::path& dir) {
  return load_sequence_classifier(dir)->classify(test::golden_pair_batch(kModel));
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double d = 0;
  for (int64_t i = 0; i < a.numel(); ++i) d = std::max(d, std::abs(double(a.data()[i]) - b.data()[i]));
  return d;
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
  const json expected = test::golden_expected(kModel).at("pair_logits");
  auto model = load_sequence_classifier(test::golden_model(kModel));
  const Batch batch = test::golden_batch(expected);
  Tensor logits = model->classify(batch);
  const auto& want = expected.at("logits");
  ASSERT_EQ(logits.shape(), (Shape{batch.batch, static_cast<int64_t>(want.at(0).size())}));
  for (int64_t b = 0; b < batch.batch; ++b)
    for (int64_t l = 0; l < logits.size(1); ++l)
      EXPECT_NEAR(logits.data()[b * logits.size(1) + l], want.at(b).at(l).get<double>(), 1e-4) << b << "," << l;
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
  expect_config_error(model_with_config("buckets_big", [](json& c) { c["position_buckets"] = 300; }), "position_buckets");
  expect_config_error(model_with_config("pos_att", [](json& c) { c["pos_att_type"] = 3; }), "pos_att_type");
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

// share_att_key = false reads pos_key_proj / pos_query_proj; with copies of key_proj / query_proj
// the model is the shared-key one.
TEST(DebertaV2, UnsharedPositionProjections) {
  Weights w = golden_weights();
  for (int layer = 0; layer < 2; ++layer) {
    const std::string p = "deberta.encoder.layer." + std::to_string(layer) + ".attention.self.";
    for (const char* part : {".weight", ".bias"}) {
      w[p + "pos_key_proj" + part] = w.at(p + "key_proj" + part);
      w[p + "pos_query_proj" + part] = w.at(p + "query_proj" + part);
    }
  }
  const auto same = model_with_config("unshared", [](json& c) { c["share_att_key"] = false; }, &w);
  EXPECT_LT(max_abs_diff(classify_golden_batch(same), classify_golden_batch(test::golden_model(kModel))), 1e-5);

  // c2p reads pos_key_proj only: changing pos_query_proj alone must change the logits through p2c.
  w["deberta.encoder.layer.0.attention.self.pos_query_proj.bias"].data = noise(32, 0.5f, 7);
  const auto changed = model_with_config("unshared2", [](json& c) { c["share_att_key"] = false; }, &w);
  EXPECT_GT(max_abs_diff(classify_golden_batch(changed), classify_golden_batch(test::golden_model(kModel))), 1e-4);
}

// position_biased_input and token type embeddings are added before the LayerNorm: zero tables change
// nothing, other tables do.
TEST(DebertaV2, AbsolutePositionAndTokenTypeEmbeddings) {
  Weights w = golden_weights();
  w["deberta.embeddings.position_embeddings.weight"] = {{128, 32}, std::vector<float>(128 * 32, 0.f)};
  w["deberta.embeddings.token_type_embeddings.weight"] = {{2, 32}, std::vector<float>(2 * 32, 0.f)};
  auto edit = [](json& c) {
    c["position_biased_input"] = true;
    c["type_vocab_size"] = 2;
  };
  const Tensor golden = classify_golden_batch(test::golden_model(kModel));
  EXPECT_LT(max_abs_diff(classify_golden_batch(model_with_config("abs0", edit, &w)), golden), 1e-5);

  w["deberta.embeddings.position_embeddings.weight"].data = noise(128 * 32, 0.5f, 11);
  EXPECT_GT(max_abs_diff(classify_golden_batch(model_with_config("abs1", edit, &w)), golden), 1e-4);

  // token_type_ids select rows of the table; missing ids mean type 0.
  w["deberta.embeddings.position_embeddings.weight"].data.assign(128 * 32, 0.f);
  w["deberta.embeddings.token_type_embeddings.weight"].data = noise(2 * 32, 0.5f, 13);
  auto model = load_sequence_classifier(model_with_config("types", edit, &w));
  Batch batch = test::golden_pair_batch(kModel);
  Tensor implicit = model->classify(batch);
  batch.token_type_ids.assign(batch.input_ids.size(), 0);
  EXPECT_LT(max_abs_diff(model->classify(batch), implicit), 1e-6);
  batch.token_type_ids.assign(batch.input_ids.size(), 1);
  EXPECT_GT(max_abs_diff(model->classify(batch), implicit), 1e-4);
  batch.token_type_ids.assign(batch.input_ids.size(), 2);
  EXPECT_THROW(model->classify(batch), Error);
}

// ConvLayer (deberta-v2-xlarge style conv_kernel_size): a kernel of 3 whose outer taps are zero is
// the kernel of 1; grouped weights equal their block-diagonal dense form; padding is inert.
TEST(DebertaV2, ConvLayer) {
  const int64_t C = 32;
  const std::vector<float> center = noise(C * C, 0.3f, 17), conv_bias = noise(C, 0.3f, 19);
  Weights w = golden_weights();
  w["deberta.encoder.conv.conv.bias"] = {{C}, conv_bias};
  w["deberta.encoder.conv.LayerNorm.weight"] = {{C}, noise(C, 0.2f, 23)};
  for (auto& x : w["deberta.encoder.conv.LayerNorm.weight"].data) x += 1.f;
  w["deberta.encoder.conv.LayerNorm.bias"] = {{C}, noise(C, 0.2f, 29)};

  w["deberta.encoder.conv.conv.weight"] = {{C, C, 1}, center};
  const Tensor k1 = classify_golden_batch(model_with_config("conv1", [](json& c) { c["conv_kernel_size"] = 1; }, &w));
  EXPECT_GT(max_abs_diff(k1, classify_golden_batch(test::golden_model(kModel))), 1e-4);

  std::vector<float> k3(C * C * 3, 0.f);
  for (int64_t i = 0; i < C * C; ++i) k3[i * 3 + 1] = center[i];
  w["deberta.encoder.conv.conv.weight"] = {{C, C, 3}, k3};
  const auto dir3 = model_with_config("conv3", [](json& c) { c["conv_kernel_size"] = 3; }, &w);
  EXPECT_LT(max_abs_diff(classify_golden_batch(dir3), k1), 1e-5);

  // groups = 2: weight (C, C/2, 3) against the dense (C, C, 3) with zeros off the diagonal blocks.
  const std::vector<float> grouped = noise(C * (C / 2) * 3, 0.3f, 31);
  std::vector<float> dense(C * C * 3, 0.f);
  for (int64_t o = 0; o < C; ++o)
    for (int64_t i = 0; i < C / 2; ++i)
      for (int64_t t = 0; t < 3; ++t) dense[(o * C + (o / (C / 2)) * (C / 2) + i) * 3 + t] = grouped[(o * (C / 2) + i) * 3 + t];
  w["deberta.encoder.conv.conv.weight"] = {{C, C / 2, 3}, grouped};
  const auto dir_grouped = model_with_config("convg", [](json& c) {
    c["conv_kernel_size"] = 3;
    c["conv_groups"] = 2;
    c["conv_act"] = "gelu";
  }, &w);
  w["deberta.encoder.conv.conv.weight"] = {{C, C, 3}, dense};
  const auto dir_dense = model_with_config("convd", [](json& c) {
    c["conv_kernel_size"] = 3;
    c["conv_act"] = "gelu";
  }, &w);
  const Tensor grouped_logits = classify_golden_batch(dir_grouped);
  EXPECT_LT(max_abs_diff(grouped_logits, classify_golden_batch(dir_dense)), 1e-5);

  // A sequence alone and inside the padded batch: the conv sees zeros past its end either way.
  auto model = load_sequence_classifier(dir_grouped);
  Tensor alone = model->classify(test::unpadded_row(test::golden_pair_batch(kModel), 0));
  for (int64_t l = 0; l < alone.size(1); ++l) EXPECT_NEAR(alone.data()[l], grouped_logits.data()[l], 1e-5);

  expect_config_error(model_with_config("conv_even", [](json& c) { c["conv_kernel_size"] = 2; }), "conv_kernel_size");
}

// embedding_size != hidden_size goes through embed_proj: a wider table [W | 0] projected by [I | 0]
// is the original table.
TEST(DebertaV2, EmbeddingProjection) {
  const int64_t V = 2000, C = 32, E = 48;
  Weights w = golden_weights();
  const auto& table = w.at("deberta.embeddings.word_embeddings.weight").data;
  std::vector<float> wide(V * E, 0.f), proj(C * E, 0.f);
  for (int64_t v = 0; v < V; ++v) std::copy_n(table.data() + v * C, C, wide.data() + v * E);
  for (int64_t c = 0; c < C; ++c) proj[c * E + c] = 1.f;
  w["deberta.embeddings.word_embeddings.weight"] = {{V, E}, wide};
  w["deberta.embeddings.embed_proj.weight"] = {{C, E}, proj};
  const auto dir = model_with_config("embed_proj", [](json& c) { c["embedding_size"] = 48; }, &w);
  EXPECT_LT(max_abs_diff(classify_golden_batch(dir), classify_golden_batch(test::golden_model(kModel))), 1e-5);
}

// Without position_buckets, relative positions are i - j clamped to ±max_relative_positions. Below
// half the bucket count the log buckets are exact too, so short inputs agree and long ones do not.
TEST(DebertaV2, RelativePositionsWithoutBuckets) {
  const auto plain = model_with_config("no_buckets", [](json& c) {
    c.erase("position_buckets");
    c["max_relative_positions"] = 16;  // same rel_embeddings rows (2·16) as 16 buckets
  });
  auto bucketed = load_sequence_classifier(test::golden_model(kModel));
  auto unbucketed = load_sequence_classifier(plain);
  Batch short_batch;
  short_batch.batch = 2;
  short_batch.seq_len = 8;
  short_batch.input_ids = {1, 5, 985, 24, 5, 1340, 2, 0, 1, 478, 175, 105, 53, 40, 60, 2};
  short_batch.attention_mask = {1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  EXPECT_LT(max_abs_diff(unbucketed->classify(short_batch), bucketed->classify(short_batch)), 1e-6);
  EXPECT_GT(max_abs_diff(classify_golden_batch(plain), classify_golden_batch(test::golden_model(kModel))), 1e-4);
}
