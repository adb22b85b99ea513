// Legacy-file converters: for every golden tokenizer directory, the tokenizer.json built from
// vocab.json/merges.txt, vocab.txt or the SentencePiece model equals the shipped tokenizer.json in
// every part that determines encoding and decoding.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lmpipe/tokenizer.h"
#include "test_util.h"
#include "tokenizers/legacy.h"
#include "util/error.h"
#include "util/json.h"

namespace lmpipe::tok {
namespace {

namespace fs = std::filesystem;

class TokenizerLegacyGolden : public ::testing::TestWithParam<const char*> {};

TEST_P(TokenizerLegacyGolden, MatchesShippedTokenizerJson) {
  const fs::path dir = test::golden_tokenizer(GetParam());
  json shipped = read_json_file(dir / "tokenizer.json");
  std::optional<json> converted = legacy_tokenizer_json(dir);
  ASSERT_TRUE(converted.has_value());
  for (const char* key : {"normalizer", "pre_tokenizer", "post_processor", "decoder", "added_tokens"})
    EXPECT_EQ((*converted)[key], shipped[key]) << GetParam() << ": " << key << "\nconverted: " << (*converted)[key].dump().substr(0, 600)
                                                << "\nshipped:   " << shipped[key].dump().substr(0, 600);
  const json& a = (*converted)["model"];
  const json& b = shipped["model"];
  for (auto it = b.begin(); it != b.end(); ++it) {
    if (it.key() == "vocab" || it.key() == "merges") continue;
    EXPECT_EQ(a.value(it.key(), json()), it.value()) << GetParam() << ": model." << it.key();
  }
  ASSERT_EQ(a["vocab"].size(), b["vocab"].size()) << GetParam();
  EXPECT_TRUE(a["vocab"] == b["vocab"]) << GetParam() << ": model.vocab differs";
  if (b.contains("merges")) {
    ASSERT_EQ(a["merges"].size(), b["merges"].size()) << GetParam();
    EXPECT_TRUE(a["merges"] == b["merges"]) << GetParam() << ": model.merges differs";
  }
}

INSTANTIATE_TEST_SUITE_P(All, TokenizerLegacyGolden,
                         ::testing::Values("gpt2", "bart", "roberta", "bert-base-uncased", "distilbert-base-uncased", "t5", "deberta-v3",
                                           "xlm-roberta"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

fs::path scratch_dir(const std::string& name);

// Without tokenizer.json, Tokenizer::from_dir converts the legacy files and encodes every golden
// row (ids, offsets, decoded text) and pair as the reference did.
TEST_P(TokenizerLegacyGolden, EncodesLikeGoldenWithoutTokenizerJson) {
  const fs::path src = test::golden_tokenizer(GetParam());
  const fs::path dir = scratch_dir(std::string("e2e_") + GetParam());
  for (const auto& entry : fs::directory_iterator(src))
    if (entry.path().filename() != "tokenizer.json") fs::copy_file(entry.path(), dir / entry.path().filename());  // follows symlinks
  Tokenizer tok = Tokenizer::from_dir(dir);
  json golden = read_json_file(test::golden_tokenizer(std::string(GetParam()) + ".json"));
  size_t checked = 0;
  for (const json& row : golden.at("rows")) {
    const std::string text = row.at("text");
    Encoding e = tok.encode(text);
    EXPECT_EQ(e.ids, row.at("input_ids").get<std::vector<int32_t>>()) << GetParam() << ": " << text;
    std::vector<std::vector<size_t>> offsets;
    for (auto [a, b] : e.offsets) offsets.push_back({a, b});
    EXPECT_EQ(offsets, row.at("offsets").get<std::vector<std::vector<size_t>>>()) << GetParam() << ": " << text;
    EXPECT_EQ(tok.decode(e.ids, true), row.at("decoded").get<std::string>()) << GetParam() << ": " << text;
    ++checked;
  }
  for (const json& pair : golden.value("pairs", json::array())) {
    const std::string a = pair.at("text"), b = pair.at("text_pair");
    EXPECT_EQ(tok.encode_pair(a, b).ids, pair.at("input_ids").get<std::vector<int32_t>>()) << GetParam() << ": " << a << " | " << b;
  }
  EXPECT_GT(checked, 10u);
  fs::remove_all(dir);
}

fs::path scratch_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("lmpipe_legacy_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

TEST(TokenizerLegacy, NoLegacyFilesGivesNothing) {
  fs::path dir = scratch_dir("empty");
  EXPECT_FALSE(legacy_tokenizer_json(dir).has_value());
  fs::remove_all(dir);
}

TEST(TokenizerLegacy, SettingsFromTokenizerConfig) {
  fs::path dir = scratch_dir("bert");
  write(dir / "vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\n");
  write(dir / "tokenizer_config.json", R"({"tokenizer_class": "BertTokenizerFast", "do_lower_case": false, "strip_accents": true,
    "added_tokens_decoder": {"4": {"content": "[MASK]", "lstrip": true, "normalized": false, "rstrip": false, "single_word": false, "special": true}}})");
  json j = legacy_tokenizer_json(dir).value();
  EXPECT_EQ(j["normalizer"]["lowercase"], false);
  EXPECT_EQ(j["normalizer"]["strip_accents"], true);
  EXPECT_EQ(j["model"]["vocab"]["##s"], 6);
  EXPECT_EQ(j["post_processor"]["special_tokens"]["[CLS]"]["ids"], json::array({2}));
  ASSERT_EQ(j["added_tokens"].size(), 5u);
  EXPECT_EQ(j["added_tokens"][4]["content"], "[MASK]");
  EXPECT_EQ(j["added_tokens"][4]["lstrip"], true);
  fs::remove_all(dir);
}

// The layout of older Hub repos: no tokenizer_class, special tokens in special_tokens_map.json,
// extra tokens in added_tokens.json; the class comes from config.json's model_type.
TEST(TokenizerLegacy, OlderLayoutWithSpecialTokensMap) {
  const fs::path src = test::golden_tokenizer("deberta-v3");
  fs::path dir = scratch_dir("old_deberta");
  fs::copy_file(src / "spm.model", dir / "spm.model");
  fs::copy_file(src / "config.json", dir / "config.json");
  write(dir / "tokenizer_config.json", R"({"do_lower_case": false, "vocab_type": "spm"})");
  write(dir / "special_tokens_map.json", R"({"bos_token": "[CLS]", "cls_token": "[CLS]", "eos_token": "[SEP]",
    "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]"})");
  write(dir / "added_tokens.json", R"({"<new>": 2000})");
  json j = legacy_tokenizer_json(dir).value();
  json shipped = read_json_file(src / "tokenizer.json");
  for (const char* key : {"normalizer", "pre_tokenizer", "post_processor", "decoder", "model"}) EXPECT_EQ(j[key], shipped[key]) << key;
  json expected_added = shipped["added_tokens"];
  expected_added.push_back({{"id", 2000}, {"content", "<new>"}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                            {"normalized", true}, {"special", false}});
  EXPECT_EQ(j["added_tokens"], expected_added);
  fs::remove_all(dir);

  // An AddedToken dict for a special token brings its flags (RoBERTa's <mask> lstrip).
  dir = scratch_dir("old_roberta");
  write(dir / "vocab.json", R"({"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3, "a": 4, "<mask>": 5})");
  write(dir / "merges.txt", "#version: 0.2\n");
  write(dir / "config.json", R"({"model_type": "roberta"})");
  write(dir / "special_tokens_map.json", R"({"mask_token": {"content": "<mask>", "lstrip": true, "normalized": false, "rstrip": false,
    "single_word": false}})");
  j = legacy_tokenizer_json(dir).value();
  EXPECT_EQ(j["post_processor"]["type"], "RobertaProcessing");
  ASSERT_EQ(j["added_tokens"].size(), 5u);
  EXPECT_EQ(j["added_tokens"][4]["content"], "<mask>");
  EXPECT_EQ(j["added_tokens"][4]["lstrip"], true);
  EXPECT_EQ(j["added_tokens"][0]["lstrip"], false);
  fs::remove_all(dir);
}

TEST(TokenizerLegacy, ErrorsNameTheFile) {
  fs::path dir = scratch_dir("bad");
  write(dir / "vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
  write(dir / "merges.txt", "#version: 0.2\na b\nbad line here\n");
  try {
    legacy_tokenizer_json(dir);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("merges.txt: line 3"), std::string::npos) << e.what();
  }
  fs::remove(dir / "merges.txt");
  fs::remove(dir / "vocab.json");
  write(dir / "spiece.model", "\x0a\x05garbage");
  EXPECT_THROW(legacy_tokenizer_json(dir), Error);
  fs::remove(dir / "spiece.model");
  write(dir / "vocab.txt", "a\n");
  write(dir / "tokenizer_config.json", R"({"tokenizer_class": "FooTokenizer"})");
  EXPECT_THROW(legacy_tokenizer_json(dir), Error);
  fs::remove_all(dir);
}

TEST(TokenizerLegacy, Base64) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

}  // namespace
}  // namespace lmpipe::tok
