// `lmpipe tokenize` prints the encoding as JSON and reports bad input on stderr.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "test_util.h"
#include "util/json.h"

namespace lmpipe {
namespace {

// Runs a shell command; returns (exit status, stdout).
std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return {-1, out};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = ::pclose(pipe);
  return {status, out};
}

TEST(TokenizerCli, PrintsPairEncoding) {
  std::string dir = test::golden_tokenizer("bert-base-uncased").string();
  auto [status, out] = run(std::string(LMPIPE_CLI_PATH) + " tokenize --model '" + dir +
                           "' --pair 'Hello world' 'Get a free iPhone now!'");
  ASSERT_EQ(status, 0) << out;
  json j = json::parse(out);
  EXPECT_EQ(j["input_ids"].get<std::vector<int>>(),
            (std::vector<int>{101, 2131, 1037, 2489, 18059, 2085, 999, 102, 7592, 2088, 102}));
  EXPECT_EQ(j["token_type_ids"].get<std::vector<int>>(), (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(j["tokens"][4], "iphone");
  EXPECT_EQ(j["offsets"][4], json::array({11, 17}));
}

TEST(TokenizerCli, NoTokenTypeIdsForRoberta) {
  std::string dir = test::golden_tokenizer("roberta").string();
  auto [status, out] = run(std::string(LMPIPE_CLI_PATH) + " tokenize --model '" + dir + "' 'Hello world'");
  ASSERT_EQ(status, 0) << out;
  json j = json::parse(out);
  EXPECT_EQ(j["input_ids"].get<std::vector<int>>(), (std::vector<int>{0, 31414, 232, 2}));
  EXPECT_FALSE(j.contains("token_type_ids"));
}

TEST(TokenizerCli, BadModelDirectoryFails) {
  auto [status, out] = run(std::string(LMPIPE_CLI_PATH) + " tokenize --model /nonexistent/dir 'x' 2>&1");
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("/nonexistent/dir"), std::string::npos) << out;
}

}  // namespace
}  // namespace lmpipe
