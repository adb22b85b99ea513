// The hand-written GPT-2 split (tokenizers/gpt2_split) against Oniguruma running the same
// pattern: every code point, and random texts built from the characters where the
// alternatives meet (quotes, contractions, spaces of every kind, letters, digits, marks).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tokenizers/gpt2_split.h"
#include "tokenizers/regex.h"
#include "tokenizers/unicode.h"

namespace lmpipe::tok {
namespace {

struct Match {
  size_t start, end;
  bool operator==(const Match&) const = default;
};

std::vector<Match> matches(const Regex& re, std::string_view s) {
  std::vector<Match> out;
  re.for_each_match(s, [&](size_t start, size_t end) { out.push_back({start, end}); });
  return out;
}

// The same language, spelled so that Regex does not recognize it and runs Oniguruma.
const std::string kOnigSpelling = std::string("(?:") + kGpt2SplitPattern + ")";

void expect_same(const Regex& native, const Regex& onig, const std::string& text) {
  auto want = matches(onig, text);
  auto got = matches(native, text);
  ASSERT_EQ(got.size(), want.size()) << text;
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_EQ(got[i], want[i]) << "match " << i << " of " << text;
}

TEST(Gpt2Split, DocumentedExamples) {
  Regex native(kGpt2SplitPattern, "test");
  std::string text = "Hello world! I'm  fine,\tthanks\n\n 2024's  ";
  std::vector<std::string> pieces;
  native.for_each_match(text, [&](size_t s, size_t e) { pieces.push_back(text.substr(s, e - s)); });
  std::vector<std::string> want = {"Hello", " world", "!", " I", "'m", " ", " fine", ",", "\t", "thanks", "\n\n",
                                   " 2024", "'s", "  "};
  EXPECT_EQ(pieces, want);
}

TEST(Gpt2Split, EveryCodePointAsOniguruma) {
  Regex native(kGpt2SplitPattern, "test"), onig(kOnigSpelling, "test");
  // Each code point between neighbours that exercise every alternative around it.
  const char* contexts[] = {" ", "a", "1", "'", "\n"};
  std::string text;
  size_t k = 0;
  for (char32_t c = 0; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    append_utf8(text, c);
    text += contexts[k++ % 5];
    if (text.size() > (1 << 16)) {
      expect_same(native, onig, text);
      if (HasFatalFailure()) return;
      text.clear();
    }
  }
  expect_same(native, onig, text);
}

TEST(Gpt2Split, RandomTextsAsOniguruma) {
  Regex native(kGpt2SplitPattern, "test"), onig(kOnigSpelling, "test");
  const std::vector<std::string> alphabet = {
      " ", " ", "  ", "\n", "\t", "\r\n", "\v", "\f", "'", "'", "s", "t", "r", "e", "v", "l", "m", "d", "S", "x",
      "9", "0", "!", ".", "?", "-", "_", "é", "e\u0301", "中", "٣", "Ⅻ", "\u3000", "\u00A0", "\u0085", "\u2028",
      "\u200B", "\u1680", "😀", "𝐀", "𝟙", "\u00AD", "ʼ", "’"};
  std::mt19937 rng(1234);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    size_t n = rng() % 24;
    for (size_t i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
    expect_same(native, onig, text);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace lmpipe::tok
