// Normalizers, pre-tokenizers, added tokens and post-processing on inputs whose Hugging Face
// tokenizers results are documented (docs examples and the library's own unit tests).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "lmpipe/tokenizer.h"
#include "tokenizers/normalizer.h"
#include "tokenizers/pre_tokenizer.h"
#include "tokenizers/unicode.h"
#include "util/error.h"
#include "util/json.h"

namespace lmpipe {
namespace {

using Pieces = std::vector<std::pair<std::string, std::pair<size_t, size_t>>>;

// Pieces and their original byte offsets after pre-tokenizing `text`.
Pieces pre_tokenize(const json& config, const std::string& text) {
  auto pre = tok::pre_tokenizer_from_json(config, "pre_tokenizer");
  tok::PreTokenizedString s;
  s.splits.push_back({tok::NormalizedString(text, 0), std::nullopt});
  pre->pre_tokenize(s);
  Pieces out;
  for (const auto& split : s.splits) {
    auto span = split.normalized.to_original(0, split.normalized.get().size());
    out.push_back({split.normalized.get(), {span.first, span.second}});
  }
  return out;
}

std::vector<std::string> texts(const Pieces& p) {
  std::vector<std::string> out;
  for (const auto& x : p) out.push_back(x.first);
  return out;
}

std::string normalize(const json& config, const std::string& text) {
  auto n = tok::normalizer_from_json(config, "normalizer");
  tok::NormalizedString s(text, 0);
  n->normalize(s);
  return s.get();
}

// Each normalized character and the original byte range it is aligned with.
Pieces normalize_aligned(const char* form, const std::string& text) {
  auto n = tok::normalizer_from_json({{"type", form}}, "normalizer");
  tok::NormalizedString s(text, 0);
  n->normalize(s);
  Pieces out;
  const std::string& t = s.get();
  for (size_t i = 0, len; i < t.size(); i += len) {
    tok::decode_utf8(t, i, len);
    auto span = s.to_original(i, i + len);
    out.push_back({t.substr(i, len), {span.first, span.second}});
  }
  return out;
}

// Alignments as HF's crate (unicode-normalization-alignments) makes them: a decomposition's
// extra characters are inserted after the first, a composite replaces its starter and removes
// what it absorbed, marks are reordered with their changes.
TEST(TokenizerComponents, UnicodeFormsAlignAsHf) {
  EXPECT_EQ(normalize_aligned("NFD", "\u00E9"), (Pieces{{"e", {0, 2}}, {"\u0301", {0, 2}}}));
  EXPECT_EQ(normalize_aligned("NFD", "\uAC00"), (Pieces{{"\u1100", {0, 3}}, {"\u1161", {0, 3}}}));
  EXPECT_EQ(normalize_aligned("NFKC", "\uFB01"), (Pieces{{"f", {0, 3}}, {"i", {0, 3}}}));
  EXPECT_EQ(normalize_aligned("NFC", "\u1100\u1161"), (Pieces{{"\uAC00", {0, 3}}}));
  // e + dot below composes to U+1EB9, which has no composite with the acute: the acute keeps
  // its own bytes.
  EXPECT_EQ(normalize_aligned("NFC", "e\u0323\u0301"), (Pieces{{"\u1EB9", {0, 1}}, {"\u0301", {3, 5}}}));
  // The marks are reordered first (dot below, class 220, before acute, 230): the acute then
  // takes the place, and the bytes, of the dot below.
  EXPECT_EQ(normalize_aligned("NFC", "a\u0301\u0323"), (Pieces{{"\u1EA1", {0, 1}}, {"\u0301", {3, 5}}}));
  EXPECT_EQ(normalize_aligned("NFD", "a\u0301\u0323"),
            (Pieces{{"a", {0, 1}}, {"\u0323", {1, 3}}, {"\u0301", {3, 5}}}));
}

TEST(TokenizerComponents, SplitBehaviors) {
  auto split = [](const char* behavior) {
    return texts(pre_tokenize({{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", false}},
                              "the-final--countdown"));
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(split("Removed"), (V{"the", "final", "countdown"}));
  EXPECT_EQ(split("Isolated"), (V{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(split("MergedWithPrevious"), (V{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(split("MergedWithNext"), (V{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(split("Contiguous"), (V{"the", "-", "final", "--", "countdown"}));
}

TEST(TokenizerComponents, SplitRegexInverted) {
  json config = {{"type", "Split"}, {"pattern", {{"Regex", "\\w+"}}}, {"behavior", "Removed"}, {"invert", true}};
  EXPECT_EQ(texts(pre_tokenize(config, "Hey friend!")), (std::vector<std::string>{"Hey", "friend"}));
}

TEST(TokenizerComponents, WhitespaceAndBert) {
  using V = std::vector<std::string>;
  EXPECT_EQ(texts(pre_tokenize({{"type", "Whitespace"}}, "Hello! How are you? I'm fine, thank you.")),
            (V{"Hello", "!", "How", "are", "you", "?", "I", "'", "m", "fine", ",", "thank", "you", "."}));
  EXPECT_EQ(texts(pre_tokenize({{"type", "WhitespaceSplit"}}, "Hey man!  yes\tno")), (V{"Hey", "man!", "yes", "no"}));
  Pieces bert = pre_tokenize({{"type", "BertPreTokenizer"}}, "Hey friend!     How are you?!?");
  EXPECT_EQ(texts(bert), (V{"Hey", "friend", "!", "How", "are", "you", "?", "!", "?"}));
  EXPECT_EQ(bert[2].second, (std::pair<size_t, size_t>{10, 11}));
  EXPECT_EQ(bert[3].second, (std::pair<size_t, size_t>{16, 19}));
}

TEST(TokenizerComponents, DigitsAndPunctuation) {
  using V = std::vector<std::string>;
  EXPECT_EQ(texts(pre_tokenize({{"type", "Digits"}, {"individual_digits", true}}, "Call 123 please")),
            (V{"Call ", "1", "2", "3", " please"}));
  EXPECT_EQ(texts(pre_tokenize({{"type", "Digits"}, {"individual_digits", false}}, "Call 123 please")),
            (V{"Call ", "123", " please"}));
  EXPECT_EQ(texts(pre_tokenize({{"type", "Punctuation"}, {"behavior", "Isolated"}}, "Hey friend!? How")),
            (V{"Hey friend", "!", "?", " How"}));
}

TEST(TokenizerComponents, ByteLevelPieces) {
  Pieces p = pre_tokenize({{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}}, "Hello my friend, how is your day going?");
  EXPECT_EQ(texts(p), (std::vector<std::string>{"\xC4\xA0Hello", "\xC4\xA0my", "\xC4\xA0" "friend", ",", "\xC4\xA0how", "\xC4\xA0is",
                                                "\xC4\xA0your", "\xC4\xA0" "day", "\xC4\xA0going", "?"}));
  // The added prefix space maps back to the first character.
  EXPECT_EQ(p[0].second, (std::pair<size_t, size_t>{0, 5}));
  EXPECT_EQ(p[1].second, (std::pair<size_t, size_t>{5, 8}));
}

TEST(TokenizerComponents, MetaspaceSchemes) {
  using V = std::vector<std::string>;
  const std::string m = "\xE2\x96\x81";
  auto run = [](const char* scheme, bool split) {
    return texts(pre_tokenize({{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", scheme}, {"split", split}},
                              "Hey   friend!"));
  };
  EXPECT_EQ(run("always", true), (V{m + "Hey", m, m, m + "friend!"}));
  EXPECT_EQ(run("never", true), (V{"Hey", m, m, m + "friend!"}));
  EXPECT_EQ(run("always", false), (V{m + "Hey" + m + m + m + "friend!"}));
}

TEST(TokenizerComponents, Normalizers) {
  json bert = {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", true}, {"strip_accents", nullptr}, {"lowercase", true}};
  EXPECT_EQ(normalize(bert, "H\xC3\xA9llo\tW\xC3\xB6rld\x07 \xE4\xBD\xA0\xE5\xA5\xBD"), "hello world  \xE4\xBD\xA0  \xE5\xA5\xBD ");
  json keep_accents = bert;
  keep_accents["lowercase"] = false;
  // clean_text drops Cc/Cf/Co characters but keeps unassigned ones (U+0378), as HF does.
  EXPECT_EQ(normalize(bert, "a\xCD\xB8" "b\xE2\x80\x8B" "c"), "a\xCD\xB8" "bc");
  EXPECT_EQ(normalize(keep_accents, "H\xC3\xA9llo"), "H\xC3\xA9llo");
  EXPECT_EQ(normalize({{"type", "NFD"}}, "\xC3\xA9"), "e\xCC\x81");
  EXPECT_EQ(normalize({{"type", "NFKC"}}, "\xEF\xAC\x81"), "fi");  // U+FB01 ligature
  EXPECT_EQ(normalize({{"type", "Sequence"}, {"normalizers", {{{"type", "NFD"}}, {{"type", "StripAccents"}}, {{"type", "Lowercase"}}}}},
                      "\xC3\x89T\xC3\x89"),
            "ete");
  EXPECT_EQ(normalize({{"type", "Replace"}, {"pattern", {{"Regex", "\\s+"}}}, {"content", " "}}, "a \t\n b"), "a b");
  EXPECT_EQ(normalize({{"type", "Strip"}, {"strip_left", true}, {"strip_right", false}}, "  a  "), "a  ");
  EXPECT_EQ(normalize({{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}}, "a"), "\xE2\x96\x81" "a");
  EXPECT_EQ(normalize({{"type", "Lowercase"}}, "\xC4\xB0"), "i\xCC\x87");  // U+0130 lowercases to two chars
}

// A WordLevel tokenizer.json written to a scratch file.
class ScratchTokenizer : public ::testing::Test {
 protected:
  Tokenizer load(const json& tj) {
    path_ = std::filesystem::temp_directory_path() /
            ("lmpipe_tok_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json");
    std::ofstream(path_) << tj.dump();
    return Tokenizer::from_file(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }
  static json base() {
    json vocab = {{"[UNK]", 0}, {"a", 1}, {"b", 2}, {"<mask>", 3}, {"[CLS]", 4}, {"[SEP]", 5}, {"[PAD]", 6}, {"ab", 7}};
    return {{"version", "1.0"},
            {"added_tokens", json::array()},
            {"normalizer", nullptr},
            {"pre_tokenizer", {{"type", "WhitespaceSplit"}}},
            {"post_processor", nullptr},
            {"decoder", nullptr},
            {"model", {{"type", "WordLevel"}, {"vocab", vocab}, {"unk_token", "[UNK]"}}}};
  }
  static json added(const char* content, int id, bool lstrip, bool rstrip, bool single_word) {
    return {{"id", id}, {"content", content}, {"single_word", single_word}, {"lstrip", lstrip},
            {"rstrip", rstrip}, {"normalized", false}, {"special", true}};
  }
  std::filesystem::path path_;
};

TEST_F(ScratchTokenizer, AddedTokenStrip) {
  json tj = base();
  tj["added_tokens"] = {added("<mask>", 3, true, false, false)};
  Tokenizer tok = load(tj);
  Encoding e = tok.encode("a <mask> b");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{1, 3, 2}));
  EXPECT_EQ(e.offsets[1], (std::pair<size_t, size_t>{1, 8}));  // lstrip takes the space in
}

TEST_F(ScratchTokenizer, AddedTokenSingleWord) {
  json tj = base();
  tj["added_tokens"] = {added("ab", 7, false, false, true)};
  Tokenizer tok = load(tj);
  EXPECT_EQ(tok.encode("ab a").ids, (std::vector<int32_t>{7, 1}));
  EXPECT_EQ(tok.encode("aab").ids, (std::vector<int32_t>{0}));  // inside a word: not the added token
  // Word characters are the regex crate's Unicode \w: not "²" or "½" (No), but Alphabetic "Ⓐ"
  // (So), marks, connector punctuation.
  EXPECT_EQ(tok.encode("ab²").ids, (std::vector<int32_t>{7, 0}));
  EXPECT_EQ(tok.encode("½ab").ids, (std::vector<int32_t>{0, 7}));
  EXPECT_EQ(tok.encode("ab\u0301").ids, (std::vector<int32_t>{0}));
  EXPECT_EQ(tok.encode("Ⓐab").ids, (std::vector<int32_t>{0}));
  EXPECT_EQ(tok.encode("‿ab").ids, (std::vector<int32_t>{0}));
}

TEST_F(ScratchTokenizer, TemplatePairTruncationAndPadding) {
  json tj = base();
  tj["post_processor"] = json::parse(R"({"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
    "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
             {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
    "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [4], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [5], "tokens": ["[SEP]"]}}})");
  tj["padding"] = {{"pad_id", 6}, {"pad_token", "[PAD]"}};
  Tokenizer tok = load(tj);
  Encoding e = tok.encode_pair("a b a", "b");
  EXPECT_EQ(e.ids, (std::vector<int32_t>{4, 1, 2, 1, 5, 2, 5}));
  EXPECT_EQ(e.type_ids, (std::vector<int32_t>{0, 0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(e.special_tokens_mask, (std::vector<int32_t>{1, 0, 0, 0, 1, 0, 1}));
  EXPECT_EQ(e.sequence_ids, (std::vector<int32_t>{-1, 0, 0, 0, -1, 1, -1}));
  EncodeOptions trunc;
  trunc.truncation = Truncation::LongestFirst;
  trunc.max_length = 6;
  EXPECT_EQ(tok.encode_pair("a b a", "b", trunc).ids, (std::vector<int32_t>{4, 1, 2, 5, 2, 5}));
  EXPECT_TRUE(tok.encode_pair("a b a", "b", trunc).truncated);
  EXPECT_FALSE(tok.encode_pair("a b", "b", trunc).truncated);  // exactly max_length: nothing dropped
  EXPECT_FALSE(e.truncated);
  trunc.truncation = Truncation::OnlySecond;
  EXPECT_THROW(tok.encode_pair("a b a", "b", trunc), Error);
  std::vector<Encoding> batch = tok.encode_batch({"a", "a b a"});
  tok.pad(batch, PaddingSide::Left);
  EXPECT_EQ(batch[0].ids, (std::vector<int32_t>{6, 6, 4, 1, 5}));
  EXPECT_EQ(batch[0].attention_mask, (std::vector<int32_t>{0, 0, 1, 1, 1}));
  // [CLS]/[SEP] are not added (special) tokens here, so they are not skipped; no decoder joins with spaces.
  EXPECT_EQ(tok.decode(e.ids, true), "[CLS] a b a [SEP] b [SEP]");
}

}  // namespace
}  // namespace lmpipe
