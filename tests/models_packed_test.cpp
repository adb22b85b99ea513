// Packed (varlen) batches: the same logits as the padded batch, and a sequence's logits do not
// depend on the other sequences of its batch, in every dtype.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "models/bart.h"
#include "models/model.h"
#include "model_test_util.h"

using namespace lmpipe;

namespace {

// The golden pair batch's rows without their padding, as a packed batch (in `order`).
PackedBatch packed_rows(const Batch& batch, const std::vector<int64_t>& order) {
  PackedBatch packed;
  for (int64_t r : order) {
    const Batch row = test::unpadded_row(batch, r);
    std::vector<int32_t> types;
    if (!batch.token_type_ids.empty())
      for (int64_t t = 0; t < batch.seq_len; ++t)
        if (batch.attention_mask[r * batch.seq_len + t]) types.push_back(batch.token_type_ids[r * batch.seq_len + t]);
    packed.add(row.input_ids, types);
  }
  return packed;
}

float max_abs_diff(const float* a, const float* b, int64_t n) {
  float worst = 0;
  for (int64_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

LoadOptions with_dtype(WeightDtype dtype) {
  LoadOptions options;
  options.dtype = dtype;
  return options;
}

class PackedBatches : public ::testing::TestWithParam<std::tuple<std::string, WeightDtype>> {};

}  // namespace

TEST_P(PackedBatches, MatchThePaddedBatch) {
  const auto [model_name, dtype] = GetParam();
  const auto model = load_sequence_classifier(test::golden_model(model_name), with_dtype(dtype));
  const Batch padded = test::golden_pair_batch(model_name);
  std::vector<int64_t> rows(static_cast<size_t>(padded.batch));
  for (int64_t r = 0; r < padded.batch; ++r) rows[r] = r;
  const Tensor want = model->classify(padded);
  const Tensor got = model->classify_packed(packed_rows(padded, rows));
  ASSERT_EQ(got.shape(), want.shape());
  // int8 quantizes each token's activations on its own, so padding rows change nothing either.
  EXPECT_LE(max_abs_diff(got.data(), want.data(), want.numel()), 1e-5f);
}

// Each sequence alone, among others, reordered or repeated: the same logits to 1e-6.
TEST_P(PackedBatches, SequenceLogitsDoNotDependOnTheBatch) {
  const auto [model_name, dtype] = GetParam();
  const auto model = load_sequence_classifier(test::golden_model(model_name), with_dtype(dtype));
  const Batch padded = test::golden_pair_batch(model_name);
  const int64_t B = padded.batch;
  std::vector<int64_t> all;
  for (int64_t r = 0; r < B; ++r) all.push_back(r);
  const Tensor together = model->classify_packed(packed_rows(padded, all));
  const int64_t L = together.size(1);
  for (int64_t r = 0; r < B; ++r) {
    const Tensor alone = model->classify_packed(packed_rows(padded, {r}));
    EXPECT_LE(max_abs_diff(alone.data(), together.data() + r * L, L), 1e-6f) << "row " << r << " alone";
  }
  std::vector<int64_t> mixed = all;
  std::reverse(mixed.begin(), mixed.end());
  mixed.insert(mixed.end(), all.begin(), all.end());  // each row twice, in another order
  const Tensor shuffled = model->classify_packed(packed_rows(padded, mixed));
  for (size_t i = 0; i < mixed.size(); ++i)
    EXPECT_LE(max_abs_diff(shuffled.data() + i * L, together.data() + mixed[i] * L, L), 1e-6f) << "position " << i;
}

INSTANTIATE_TEST_SUITE_P(Models, PackedBatches,
                         ::testing::Combine(::testing::Values("tiny-bart-mnli", "tiny-roberta-mnli",
                                                             "tiny-xlm-roberta-xnli", "tiny-distilbert-mnli",
                                                             "tiny-deberta-v3-nli"),
                                            ::testing::Values(WeightDtype::float32, WeightDtype::bfloat16,
                                                              WeightDtype::int8)),
                         [](const auto& info) {
                           std::string name = std::get<0>(info.param) + "_" +
                                              std::string(weight_dtype_name(std::get<1>(info.param)));
                           for (char& ch : name)
                             if (ch == '-') ch = '_';
                           return name;
                         });

TEST(PackedBatch, RejectsInconsistentOffsets) {
  const auto model = load_sequence_classifier(test::golden_model("tiny-bart-mnli"));
  PackedBatch batch;
  EXPECT_THROW(model->classify_packed(batch), Error);  // no sequence
  batch.add({0, 100, 2, 2, 200, 2});
  batch.offsets.back() = 7;  // beyond input_ids
  EXPECT_THROW(model->classify_packed(batch), Error);
  batch.offsets = {0, 0, 6};  // an empty sequence
  EXPECT_THROW(model->classify_packed(batch), Error);
}

// The decoder over whole sequences (the classifier's path) equals the cached decoder (generation's).
TEST(PackedBatch, BartSequenceDecoderMatchesTheCachedDecoder) {
  const auto dir = test::golden_model("tiny-bart-mnli");
  const auto classifier = BartForSequenceClassification::load(dir, ModelConfig::load(dir));
  const BartModel& model = classifier->model();
  const Batch batch = test::golden_pair_batch("tiny-bart-mnli");
  const int64_t B = batch.batch, T = batch.seq_len, d = model.config().d_model;
  const auto ids = shift_tokens_right(batch.input_ids, B, T, 1, 2);
  BartScratch scratch;
  const Tensor encoded = model.encode(batch, scratch);
  BartDecoderCache cache;
  model.start_decoder(encoded, batch.attention_mask, /*rows_per_input=*/1, /*capacity=*/T, cache);
  const Tensor cached = model.decode(ids.data(), T, cache, scratch);
  nn::SequenceLayout decoder_seqs = nn::SequenceLayout::padded(batch);
  decoder_seqs.key_bias.clear();
  const Tensor whole = model.decode_sequences(ids.data(), decoder_seqs, encoded.data(), nn::SequenceLayout::padded(batch),
                                              scratch);
  ASSERT_EQ(whole.numel(), cached.numel());
  EXPECT_LE(max_abs_diff(whole.data(), cached.data(), B * T * d), 1e-5f);
}

// With only_rows, the decoder's last layer runs on those rows alone and gives their full-pass values.
TEST(PackedBatch, BartDecoderOnlyRowsMatchTheFullPass) {
  const auto dir = test::golden_model("tiny-bart-mnli");
  const auto classifier = BartForSequenceClassification::load(dir, ModelConfig::load(dir));
  const BartModel& model = classifier->model();
  const Batch padded = test::golden_pair_batch("tiny-bart-mnli");
  const PackedBatch batch = packed_rows(padded, {0, 1, 2, 3, 4});
  const nn::SequenceLayout seqs = nn::SequenceLayout::packed(batch);
  const int64_t d = model.config().d_model;
  BartScratch scratch;
  const Tensor encoded = model.encode(batch, scratch);
  std::vector<int32_t> ids(batch.input_ids.size());
  std::vector<int64_t> rows;
  for (int64_t b = 0; b < batch.batch(); ++b) {
    const int64_t first = batch.offsets[b];
    ids[first] = 2;
    for (int64_t t = 1; t < batch.length(b); ++t) ids[first + t] = batch.input_ids[first + t - 1];
    rows.push_back(first + batch.length(b) / 2 + b % 2);  // any row of the sequence
  }
  const Tensor full = model.decode_sequences(ids.data(), seqs, encoded.data(), seqs, scratch);
  const Tensor kept = model.decode_sequences(ids.data(), seqs, encoded.data(), seqs, scratch, &rows);
  ASSERT_EQ(kept.shape(), (Shape{batch.batch(), d}));
  for (int64_t b = 0; b < batch.batch(); ++b)
    EXPECT_LE(max_abs_diff(kept.data() + b * d, full.data() + rows[b] * d, d), 1e-6f) << "sequence " << b;
  rows[1] = rows[0];  // a row outside its sequence
  EXPECT_THROW(model.decode_sequences(ids.data(), seqs, encoded.data(), seqs, scratch, &rows), Error);
}

namespace {

// TokenEncoder::encode_packed (BERT's and DistilBERT's own packed forward, DeBERTa's padded
// fallback): each sequence's rows are its rows of the padded batch.
TEST(PackedEncoders, MatchThePaddedBatch) {
  for (const char* name : {"tiny-bert", "tiny-distilbert-mnli", "tiny-deberta-v3-nli", "tiny-roberta-mnli"}) {
    const auto encoder = load_encoder(test::golden_model(name));
    const json expected = test::golden_expected(name);
    const Batch batch = test::golden_batch(expected.contains("pair_logits") ? expected["pair_logits"] : expected["features"]);
    ASSERT_GE(batch.batch, 2) << name;
    const Tensor padded = encoder->encode(batch);
    const PackedBatch packed = packed_rows(batch, {1, 0});
    const Tensor rows = encoder->encode_packed(packed);
    const int64_t H = encoder->hidden_size();
    ASSERT_EQ(rows.shape(), (Shape{packed.tokens(), H})) << name;
    for (int64_t i = 0; i < packed.batch(); ++i) {
      const int64_t r = 1 - i;  // packed in reverse
      EXPECT_LT(max_abs_diff(padded.data() + r * batch.seq_len * H, rows.data() + packed.offsets[i] * H, packed.length(i) * H),
                1e-5f)
          << name << " row " << r;
    }
  }
}

}  // namespace
