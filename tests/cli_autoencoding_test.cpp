// The fill-mask, feature-extraction, next-sentence and embed commands: output shapes as Python
// returns them, stdin streaming with per-line errors, exit codes.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli_test_util.h"
#include "test_util.h"
#include "util/json.h"

using lmpipe::json;
using lmpipe::test::run_cli;

namespace {

std::string model(const std::string& name) { return lmpipe::test::golden_model(name).string(); }
std::string bert() { return model("tiny-bert"); }

std::vector<json> json_lines(const std::string& out) {
  std::vector<json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

}  // namespace

TEST(CliFillMask, ArgumentTextAsPython) {
  const json want = lmpipe::read_json_file(lmpipe::test::golden_model("tiny-bert") / "expected.json")["fill_mask"]["public"][2];
  const auto r = run_cli("fill-mask --model " + bert() + " '" + want["input"].get<std::string>() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json got = json::parse(r.out);
  ASSERT_EQ(got.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i]["token"], want["output"][i]["token"]);
    EXPECT_EQ(got[i]["sequence"], want["output"][i]["sequence"]);
  }
}

TEST(CliFillMask, TargetsTopKAndSeveralTexts) {
  auto r = run_cli("fill-mask --model " + bert() + " --targets 'stop, go' --top-k 5 'Don'\\''t [MASK] now.' '[MASK] a [MASK]'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json got = json::parse(r.out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].size(), 2u);     // capped at the two targets
  EXPECT_EQ(got[1].size(), 2u);     // two masks
  EXPECT_EQ(got[1][0].size(), 2u);  // each with the two targets
  EXPECT_NE(run_cli("fill-mask --model " + bert() + " 'no mask here'").exit_code, 0);
  EXPECT_NE(run_cli("fill-mask --model " + bert() + " --targets ' , ' 'a [MASK]'").exit_code, 0);
  EXPECT_NE(run_cli("fill-mask --model " + bert() + " --no-such-option 'a [MASK]'").exit_code, 0);
}

TEST(CliFillMask, StdinLinesWithErrors) {
  const auto r = run_cli("fill-mask --model " + bert() + " -k 1", "a [MASK] b\nno mask\n{\"text\": \"x [MASK] y\"}\n{bad json\n");
  EXPECT_EQ(r.exit_code, 1);
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0].size(), 1u);
  EXPECT_EQ(lines[1]["input"], "no mask");
  EXPECT_NE(lines[1]["error"].get<std::string>().find("No mask_token ([MASK])"), std::string::npos);
  EXPECT_EQ(lines[2][0]["sequence"].get<std::string>().substr(0, 2), "x ");
  EXPECT_NE(lines[3]["error"].get<std::string>().find("invalid JSON"), std::string::npos);
  EXPECT_EQ(run_cli("fill-mask --model " + bert(), "a [MASK] b\n").exit_code, 0);
}

TEST(CliNextSentence, PairFromArgumentsAndStdin) {
  const json want = lmpipe::read_json_file(lmpipe::test::golden_model("tiny-bert") / "expected.json")["nsp"][0];
  auto r = run_cli("next-sentence --model " + bert() + " 'Istanbul is a great city to visit.' 'I have been there.'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json got = json::parse(r.out);
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(got["logits"][i].get<double>(), want["logits"][i].get<double>(), 1e-4);
    EXPECT_NEAR(got["probs"][i].get<double>(), want["probs"][i].get<double>(), 1e-5);
  }
  EXPECT_TRUE(got["is_next"].get<bool>());
  r = run_cli("next-sentence --model " + bert(), "a b\tc d\n[\"x\", \"y\"]\n{\"text\": \"p\", \"text_pair\": \"q\"}\nno tab\n");
  EXPECT_EQ(r.exit_code, 1);
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0]["text_pair"], "c d");
  EXPECT_EQ(lines[2]["text"], "p");
  EXPECT_TRUE(lines[3].contains("error"));
  EXPECT_NE(run_cli("next-sentence --model " + bert() + " 'only one text'").exit_code, 0);
  EXPECT_NE(run_cli("next-sentence --model " + model("tiny-roberta-mnli") + " a b").exit_code, 0);
}

TEST(CliFeatureExtraction, ShapeAndTruncation) {
  auto r = run_cli("feature-extraction --model " + bert() + " 'Hello world'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json got = json::parse(r.out);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].size(), 4u);
  EXPECT_EQ(got[0][0].size(), 16u);
  r = run_cli("feature-extraction --model " + bert() + " --max-length 3", "Hello world\n\n");
  EXPECT_EQ(r.exit_code, 1);  // the empty line
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0][0].size(), 3u);
  EXPECT_NE(lines[1]["error"].get<std::string>().find("empty text"), std::string::npos);
}

TEST(CliEmbed, VectorsAsSentenceTransformers) {
  const json want = lmpipe::read_json_file(lmpipe::test::golden_model("tiny-sentence-bert") / "expected.json")["public"];
  auto r = run_cli("embed --model " + model("tiny-sentence-bert") + " '" + want[0]["text"].get<std::string>() + "' ''");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json got = json::parse(r.out);
  ASSERT_EQ(got.size(), 2u);  // a list of vectors, one per text
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_NEAR(got[0][i].get<double>(), want[0]["embedding"][i].get<double>(), 1e-4);
    EXPECT_NEAR(got[1][i].get<double>(), want[4]["embedding"][i].get<double>(), 1e-4);
  }
  r = run_cli("embed --no-normalize --model " + model("tiny-sentence-bert"), "one\n\"two\"\n");
  ASSERT_EQ(r.exit_code, 0);
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u);
  double norm = 0;
  for (const auto& x : lines[0]) norm += x.get<double>() * x.get<double>();
  EXPECT_GT(std::abs(norm - 1.0), 1e-3);  // not unit length without the Normalize module
  EXPECT_NE(run_cli("embed --model " + model("tiny-sentence-bert") + " --normalize --no-normalize x").exit_code, 0);
}
