// `lmpipe tokenize` prints the encoding as JSON and reports bad input on stderr.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_test_util.h"

namespace lmpipe::test {
namespace {

TEST(TokenizerCli, PrintsPairEncoding) {
  auto r = run_cli({"tokenize", "--model", golden_tokenizer("bert-base-uncased").string(), "--pair", "Hello world",
                    "Get a free iPhone now!"});
  ASSERT_EQ(r.status, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["input_ids"].get<std::vector<int>>(),
            (std::vector<int>{101, 2131, 1037, 2489, 18059, 2085, 999, 102, 7592, 2088, 102}));
  EXPECT_EQ(j["token_type_ids"].get<std::vector<int>>(), (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(j["tokens"][4], "iphone");
  EXPECT_EQ(j["offset_mapping"][4], json::array({11, 17}));
  EXPECT_FALSE(j.contains("offsets"));
}

TEST(TokenizerCli, NoTokenTypeIdsForRoberta) {
  auto r = run_cli({"tokenize", "-m", golden_tokenizer("roberta").string(), "Hello world"});
  ASSERT_EQ(r.status, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["input_ids"].get<std::vector<int>>(), (std::vector<int>{0, 31414, 232, 2}));
  EXPECT_FALSE(j.contains("token_type_ids"));
}

TEST(TokenizerCli, BadModelDirectoryFails) {
  auto r = run_cli({"tokenize", "--model", "/nonexistent/dir", "x"});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, ::testing::HasSubstr("/nonexistent/dir"));
}

}  // namespace
}  // namespace lmpipe::test
