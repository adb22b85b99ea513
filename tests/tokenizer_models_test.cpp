// Tokenization models (BPE, WordPiece, WordLevel, Unigram) on hand-made vocabularies (cases
// mirror HF tokenizers' own unit tests) and on the real vocabularies of the golden tokenizers.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "test_util.h"
#include "tokenizers/bpe.h"
#include "tokenizers/model.h"
#include "tokenizers/unigram.h"
#include "tokenizers/wordpiece.h"
#include "util/error.h"
#include "util/json.h"

namespace lmpipe::tok {
namespace {

using Vocab = std::vector<std::pair<std::string, uint32_t>>;
using Merges = std::vector<std::pair<std::string, std::string>>;

std::vector<std::string> values(const std::vector<Token>& tokens) {
  std::vector<std::string> out;
  for (const Token& t : tokens) out.push_back(t.value);
  return out;
}
std::vector<uint32_t> ids(const std::vector<Token>& tokens) {
  std::vector<uint32_t> out;
  for (const Token& t : tokens) out.push_back(t.id);
  return out;
}
std::vector<std::pair<size_t, size_t>> offsets(const std::vector<Token>& tokens) {
  std::vector<std::pair<size_t, size_t>> out;
  for (const Token& t : tokens) out.emplace_back(t.start, t.end);
  return out;
}

// ---- BPE ----

TEST(TokenizerModelsBpe, MergesByRank) {
  Vocab vocab = {{"u", 0},   {"n", 1},   {"r", 2},   {"e", 3},     {"l", 4},      {"a", 5},       {"t", 6},        {"d", 7},
                 {"re", 8},  {"at", 9},  {"ed", 10}, {"un", 11},   {"ated", 12},  {"rel", 13},    {"related", 14}, {"unrelated", 15}};
  Merges merges = {{"r", "e"}, {"a", "t"}, {"e", "d"}, {"u", "n"}, {"at", "ed"}, {"re", "l"}, {"rel", "ated"}, {"un", "related"}};
  Bpe bpe(vocab, merges, {});
  auto tokens = bpe.tokenize("unrelated");
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].id, 15u);
  EXPECT_EQ(tokens[0].value, "unrelated");
  EXPECT_EQ(offsets(tokens), (std::vector<std::pair<size_t, size_t>>{{0, 9}}));
  // A second call is served by the cache and must give the same answer.
  EXPECT_EQ(ids(bpe.tokenize("unrelated")), std::vector<uint32_t>{15});
  EXPECT_EQ(values(bpe.tokenize("related")), std::vector<std::string>{"related"});
  EXPECT_EQ(values(bpe.tokenize("dealer")), (std::vector<std::string>{"d", "e", "a", "l", "e", "r"}));
  EXPECT_TRUE(bpe.tokenize("").empty());
}

TEST(TokenizerModelsBpe, LowestRankFirstThenLeftmost) {
  // "aaa": the pair (a, a) occurs twice; the leftmost is merged first.
  Bpe bpe({{"a", 0}, {"aa", 1}}, {{"a", "a"}}, {});
  EXPECT_EQ(values(bpe.tokenize("aaa")), (std::vector<std::string>{"aa", "a"}));
  EXPECT_EQ(values(bpe.tokenize("aaaa")), (std::vector<std::string>{"aa", "aa"}));
  // A lower-ranked merge on the right wins over a higher-ranked one on the left.
  Bpe b2({{"a", 0}, {"b", 1}, {"c", 2}, {"ab", 3}, {"bc", 4}}, {{"b", "c"}, {"a", "b"}}, {});
  EXPECT_EQ(values(b2.tokenize("abc")), (std::vector<std::string>{"a", "bc"}));
}

TEST(TokenizerModelsBpe, UnknownNotFusedAndFused) {
  Vocab vocab = {{"<unk>", 0}, {"a", 1}, {"b", 2}};
  BpeOptions opt;
  opt.unk_token = "<unk>";
  Bpe plain(vocab, {}, opt);
  auto t = plain.tokenize("accb");
  EXPECT_EQ(ids(t), (std::vector<uint32_t>{1, 0, 0, 2}));
  EXPECT_EQ(values(t), (std::vector<std::string>{"a", "<unk>", "<unk>", "b"}));
  EXPECT_EQ(offsets(t), (std::vector<std::pair<size_t, size_t>>{{0, 1}, {1, 2}, {2, 3}, {3, 4}}));
  opt.fuse_unk = true;
  Bpe fused(vocab, {}, opt);
  t = fused.tokenize("accb");
  EXPECT_EQ(ids(t), (std::vector<uint32_t>{1, 0, 2}));
  EXPECT_EQ(offsets(t), (std::vector<std::pair<size_t, size_t>>{{0, 1}, {1, 3}, {3, 4}}));
  // Without unk_token, unknown characters are dropped.
  Bpe none(vocab, {}, {});
  EXPECT_EQ(values(none.tokenize("acb")), (std::vector<std::string>{"a", "b"}));
  // An unk_token that is not in the vocabulary is an error when needed.
  BpeOptions missing;
  missing.unk_token = "[UNK]";
  Bpe bad(vocab, {}, missing);
  EXPECT_EQ(values(bad.tokenize("ab")), (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(bad.tokenize("c"), Error);
}

TEST(TokenizerModelsBpe, ByteFallback) {
  BpeOptions opt;
  opt.unk_token = "<unk>";
  opt.byte_fallback = true;
  Bpe bpe({{"<unk>", 0}, {"<0x61>", 1}, {"<0xC3>", 2}, {"<0xA9>", 3}}, {}, opt);
  EXPECT_EQ(values(bpe.tokenize("c")), std::vector<std::string>{"<unk>"});
  auto t = bpe.tokenize("a");
  EXPECT_EQ(ids(t), std::vector<uint32_t>{1});
  t = bpe.tokenize("\xC3\xA9");  // é: one token per byte, each one byte wide
  EXPECT_EQ(values(t), (std::vector<std::string>{"<0xC3>", "<0xA9>"}));
  EXPECT_EQ(offsets(t), (std::vector<std::pair<size_t, size_t>>{{0, 1}, {1, 2}}));
}

TEST(TokenizerModelsBpe, ContinuingSubwordPrefixAndSuffix) {
  Vocab vocab = {{"a", 0}, {"##b", 1}, {"##c", 2}, {"ab", 3}, {"abc", 4}};
  BpeOptions opt;
  opt.unk_token = "[UNK]";
  opt.continuing_subword_prefix = "##";
  Bpe bpe(vocab, {{"a", "##b"}, {"ab", "##c"}}, opt);
  EXPECT_EQ(values(bpe.tokenize("ab")), std::vector<std::string>{"ab"});
  EXPECT_EQ(values(bpe.tokenize("abc")), std::vector<std::string>{"abc"});

  BpeOptions sfx;
  sfx.end_of_word_suffix = "</w>";
  Bpe b2({{"a", 0}, {"b</w>", 1}, {"ab</w>", 2}, {"b", 3}}, {{"a", "b</w>"}}, sfx);
  EXPECT_EQ(values(b2.tokenize("ab")), std::vector<std::string>{"ab</w>"});
  EXPECT_EQ(values(b2.tokenize("ba")), std::vector<std::string>{"b"});  // "a</w>" is unknown and dropped
}

TEST(TokenizerModelsBpe, IgnoreMerges) {
  BpeOptions opt;
  opt.ignore_merges = true;
  // "abc" is in the vocabulary but unreachable by merges; ignore_merges returns it whole.
  Bpe bpe({{"a", 0}, {"b", 1}, {"c", 2}, {"abc", 3}}, {}, opt);
  EXPECT_EQ(values(bpe.tokenize("abc")), std::vector<std::string>{"abc"});
  EXPECT_EQ(values(bpe.tokenize("ab")), (std::vector<std::string>{"a", "b"}));
}

TEST(TokenizerModelsBpe, OffsetsAreBytes) {
  Bpe bpe({{"\xC3\xA9", 0}, {"t", 1}, {"\xC3\xA9t", 2}}, {{"\xC3\xA9", "t"}}, {});
  auto t = bpe.tokenize("t\xC3\xA9t");
  EXPECT_EQ(values(t), (std::vector<std::string>{"t", "\xC3\xA9t"}));
  EXPECT_EQ(offsets(t), (std::vector<std::pair<size_t, size_t>>{{0, 1}, {1, 4}}));
}

TEST(TokenizerModelsBpe, BadMergesAreErrors) {
  EXPECT_THROW(Bpe({{"a", 0}, {"b", 1}}, {{"a", "b"}}, {}), Error);  // "ab" missing
  EXPECT_THROW(Bpe({{"a", 0}}, {{"a", "d"}}, {}), Error);
  json j = {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}}, {"merges", {"a b c"}}};
  try {
    model_from_json(j, "tokenizer.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.merges[0]"), std::string::npos) << e.what();
  }
}

TEST(TokenizerModelsBpe, FromJsonBothMergeFormats) {
  json base = {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}}}, {"unk_token", nullptr}};
  json legacy = base;
  legacy["merges"] = {"a b"};
  json pairs = base;
  pairs["merges"] = json::array({json::array({"a", "b"})});
  for (const json& j : {legacy, pairs}) {
    auto m = model_from_json(j, "tokenizer.json");
    EXPECT_EQ(ids(m->tokenize("abab")), (std::vector<uint32_t>{2, 2}));
    EXPECT_EQ(m->vocab_size(), 3u);
    EXPECT_EQ(m->token_to_id("ab"), 2u);
    EXPECT_EQ(m->id_to_token(1), "b");
    EXPECT_EQ(m->id_to_token(7), std::nullopt);
  }
}

TEST(TokenizerModelsBpe, Gpt2Vocabulary) {
  json tj = read_json_file(test::golden_tokenizer("gpt2") / "tokenizer.json");
  auto m = model_from_json(tj.at("model"), "gpt2/tokenizer.json");
  EXPECT_EQ(m->vocab_size(), 50257u);
  EXPECT_EQ(values(m->tokenize("supercalifragilisticexpialidocious")),
            (std::vector<std::string>{"super", "cal", "if", "rag", "il", "ist", "ice", "xp", "ial", "id", "ocious"}));
  EXPECT_EQ(values(m->tokenize("\xC4\xA0" "antidisestablishmentarianism")),  // "Ġantidis..."
            (std::vector<std::string>{"\xC4\xA0" "ant", "idis", "establishment", "arian", "ism"}));
  EXPECT_EQ(values(m->tokenize(std::string(60, 'a'))), std::vector<std::string>(15, "aaaa"));
  auto t = m->tokenize("numbers");
  EXPECT_EQ(values(t), (std::vector<std::string>{"n", "umbers"}));
  EXPECT_EQ(offsets(t), (std::vector<std::pair<size_t, size_t>>{{0, 1}, {1, 7}}));
}

TEST(TokenizerModelsBpe, ConcurrentTokenizeMatchesSerial) {
  json tj = read_json_file(test::golden_tokenizer("gpt2") / "tokenizer.json");
  auto m = model_from_json(tj.at("model"), "gpt2/tokenizer.json");
  std::vector<std::string> words;
  for (int i = 0; i < 3000; ++i) words.push_back("\xC4\xA0w" + std::to_string(i * 7919 % 1000) + "ing" + std::string(1, char('a' + i % 26)));
  std::vector<std::vector<uint32_t>> expected;
  auto fresh = model_from_json(tj.at("model"), "gpt2/tokenizer.json");
  for (const auto& w : words) expected.push_back(ids(fresh->tokenize(w)));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round)
        for (size_t i = 0; i < words.size(); ++i) {
          size_t k = (i * (t + 1) + round) % words.size();
          if (ids(m->tokenize(words[k])) != expected[k]) ++mismatches;
        }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// ---- WordPiece / WordLevel ----

TEST(TokenizerModelsWordPiece, GreedyLongestMatch) {
  WordPiece wp({{"[UNK]", 0}, {"un", 1}, {"##aff", 2}, {"##able", 3}, {"una", 4}, {"##ff", 5}, {"##a", 6}}, {});
  auto t = wp.tokenize("unaffable");
  EXPECT_EQ(values(t), (std::vector<std::string>{"una", "##ff", "##able"}));
  EXPECT_EQ(offsets(t), (std::vector<std::pair<size_t, size_t>>{{0, 3}, {3, 5}, {5, 9}}));
  // One character that cannot be covered turns the whole word into [UNK].
  t = wp.tokenize("unaffablez");
  EXPECT_EQ(values(t), std::vector<std::string>{"[UNK]"});
  EXPECT_EQ(offsets(t), (std::vector<std::pair<size_t, size_t>>{{0, 10}}));
  EXPECT_TRUE(wp.tokenize("").empty());
}

TEST(TokenizerModelsWordPiece, MaxCharsCountsCharacters) {
  WordPieceOptions opt;
  opt.max_input_chars_per_word = 3;
  WordPiece wp({{"[UNK]", 0}, {"\xC3\xA9\xC3\xA9\xC3\xA9", 1}, {"abcd", 2}}, opt);
  EXPECT_EQ(ids(wp.tokenize("\xC3\xA9\xC3\xA9\xC3\xA9")), std::vector<uint32_t>{1});  // 3 chars, 6 bytes
  EXPECT_EQ(ids(wp.tokenize("abcd")), std::vector<uint32_t>{0});
  WordPiece no_unk({{"a", 0}}, {});
  EXPECT_THROW(no_unk.tokenize("b"), Error);
}

TEST(TokenizerModelsWordPiece, BertVocabulary) {
  json tj = read_json_file(test::golden_tokenizer("bert-base-uncased") / "tokenizer.json");
  auto m = model_from_json(tj.at("model"), "bert/tokenizer.json");
  EXPECT_EQ(m->vocab_size(), 30522u);
  auto t = m->tokenize("supercalifragilisticexpialidocious");
  EXPECT_EQ(values(t), (std::vector<std::string>{"super", "##cal", "##if", "##rag", "##ilis", "##tic", "##ex", "##pia", "##lid",
                                                 "##oc", "##ious"}));
  EXPECT_EQ(ids(t), (std::vector<uint32_t>{3565, 9289, 10128, 29181, 24411, 4588, 10288, 19312, 21273, 10085, 6313}));
  EXPECT_EQ(ids(m->tokenize("jalapeno")), (std::vector<uint32_t>{14855, 2721, 11837, 2080}));
  EXPECT_EQ(values(m->tokenize("stra\xC3\x9F" "e")), (std::vector<std::string>{"st", "##ra\xC3\x9F" "e"}));
  EXPECT_EQ(ids(m->tokenize("\xF0\x9F\x98\x80")), std::vector<uint32_t>{100});
}

TEST(TokenizerModelsWordLevel, WholeWordOrUnk) {
  json j = {{"type", "WordLevel"}, {"vocab", {{"<unk>", 0}, {"hello", 1}}}, {"unk_token", "<unk>"}};
  auto m = model_from_json(j, "tokenizer.json");
  EXPECT_EQ(ids(m->tokenize("hello")), std::vector<uint32_t>{1});
  auto t = m->tokenize("bye");
  EXPECT_EQ(values(t), std::vector<std::string>{"<unk>"});
  EXPECT_EQ(offsets(t), (std::vector<std::pair<size_t, size_t>>{{0, 3}}));
}

// ---- Unigram ----

TEST(TokenizerModelsUnigram, BestPath) {
  Unigram u({{"<unk>", 0.0}, {"a", 0.0}, {"b", 0.0}, {"c", 0.0}, {"d", 0.0}, {"cd", 1.0}, {"ab", 2.0}, {"abc", 5.0}, {"abcd", 10.0}}, 0,
            false);
  auto t = u.tokenize("abcdacdxx");
  EXPECT_EQ(values(t), (std::vector<std::string>{"abcd", "a", "cd", "xx"}));
  EXPECT_EQ(ids(t), (std::vector<uint32_t>{8, 1, 5, 0}));
  EXPECT_EQ(offsets(t), (std::vector<std::pair<size_t, size_t>>{{0, 4}, {4, 5}, {5, 7}, {7, 9}}));
  EXPECT_TRUE(u.tokenize("").empty());
}

TEST(TokenizerModelsUnigram, ScoresAndTies) {
  // Equal scores: the first candidate found for an end position is kept, i.e. the one whose
  // last piece starts earliest.
  Unigram u({{"<unk>", 0.0}, {"a", -1.0}, {"b", -1.0}, {"ab", -2.0}}, 0, false);
  EXPECT_EQ(values(u.tokenize("ab")), std::vector<std::string>{"ab"});
  Unigram v({{"<unk>", 0.0}, {"a", -1.0}, {"b", -1.0}, {"ab", -2.5}}, 0, false);
  EXPECT_EQ(values(v.tokenize("ab")), (std::vector<std::string>{"a", "b"}));
  // Unknown characters cost min_score - 10 each and are fused.
  Unigram w({{"<unk>", 0.0}, {"a", -1.0}}, 0, false);
  auto t = w.tokenize("a\xC3\xA9\xC3\xA9" "a");
  EXPECT_EQ(values(t), (std::vector<std::string>{"a", "\xC3\xA9\xC3\xA9", "a"}));
  EXPECT_EQ(ids(t), (std::vector<uint32_t>{1, 0, 1}));
  Unigram no_unk({{"a", -1.0}}, std::nullopt, false);
  EXPECT_THROW(no_unk.tokenize("b"), Error);
  EXPECT_THROW(Unigram({{"a", -1.0}}, 5, false), Error);
}

TEST(TokenizerModelsUnigram, ByteFallback) {
  Unigram u({{"<unk>", 0.0}, {"<0x61>", -0.1}, {"<0xC3>", -0.1}, {"<0xA9>", -0.1}, {"b", -0.5}}, 0, true);
  auto t = u.tokenize("\xC3\xA9" "b");
  EXPECT_EQ(values(t), (std::vector<std::string>{"<0xC3>", "<0xA9>", "b"}));
  EXPECT_EQ(offsets(t), (std::vector<std::pair<size_t, size_t>>{{0, 2}, {0, 2}, {2, 3}}));
  EXPECT_EQ(ids(u.tokenize("c")), std::vector<uint32_t>{0});  // no <0x63>: unk
}

TEST(TokenizerModelsUnigram, T5AndXlmRobertaVocabularies) {
  json t5 = read_json_file(test::golden_tokenizer("t5") / "tokenizer.json");
  auto m = model_from_json(t5.at("model"), "t5/tokenizer.json");
  const std::string sp = "\xE2\x96\x81";  // ▁
  EXPECT_EQ(values(m->tokenize(sp + "supercalifragilisticexpialidocious")),
            (std::vector<std::string>{sp + "super", "c", "al", "if", "r", "ag", "i", "list", "ic", "exp", "i", "al", "i", "doc",
                                      "io", "us"}));
  auto t = m->tokenize(sp + "日本語のテキストです。");
  EXPECT_EQ(ids(t), (std::vector<uint32_t>{3, 1979, 1631, 1978, 1916, 2, 1921, 1920, 1858}));
  EXPECT_EQ(t[5].value, "テキスト");  // fused unknown keeps its text, as HF's Unigram does
  EXPECT_EQ(t[5].start, 3u + 12u);
  EXPECT_EQ(t[5].end, 3u + 24u);

  json xlmr = read_json_file(test::golden_tokenizer("xlm-roberta") / "tokenizer.json");
  auto x = model_from_json(xlmr.at("model"), "xlm-roberta/tokenizer.json");
  EXPECT_EQ(ids(x->tokenize(sp + "supercalifragilisticexpialidocious")),
            (std::vector<uint32_t>{714, 363, 453, 1198, 614, 47, 219, 2880}));
  EXPECT_EQ(ids(x->tokenize(sp + "joiners\xE2\x80\x8Dhere")), std::vector<uint32_t>{2911});
}

TEST(TokenizerModelsFactory, ErrorsNameTheField) {
  auto message = [](const json& j) {
    try {
      model_from_json(j, "tokenizer.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({{"type", "Foo"}}), "tokenizer.json: model.type 'Foo' is not supported");
  EXPECT_NE(message({{"type", "WordPiece"}}).find("vocab"), std::string::npos);
  EXPECT_NE(message({{"type", "Unigram"}, {"vocab", {{"a"}}}}).find("model.vocab[0]"), std::string::npos);
  EXPECT_NE(message({{"type", "BPE"}, {"vocab", {{"a", "x"}}}, {"merges", json::array()}}).find("model.vocab['a']"),
            std::string::npos);
}

}  // namespace
}  // namespace lmpipe::tok
