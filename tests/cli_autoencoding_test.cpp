// The fill-mask, feature-extraction, next-sentence and embed commands: output shaped as Python
// returns it, streaming with per-line errors, exit statuses (command.h's conventions).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cli_test_util.h"
#include "test_util.h"
#include "util/json.h"

using lmpipe::json;
using lmpipe::test::CliResult;
using lmpipe::test::run_cli;

namespace {

std::string model(const std::string& name) { return lmpipe::test::golden_model(name).string(); }
std::string bert() { return model("tiny-bert"); }
json expected(const std::string& name) { return lmpipe::read_json_file(lmpipe::test::golden_model(name) / "expected.json"); }

CliResult run(std::vector<std::string> args, std::vector<std::string> input = {}) {
  lmpipe::test::CliOptions options;
  options.input = std::move(input);
  return run_cli(args, options);
}

}  // namespace

TEST(CliFillMask, ArgumentTextAsPython) {
  const json want = expected("tiny-bert")["fill_mask"]["public"][2];
  const CliResult r = run({"fill-mask", "-m", bert(), want["input"].get<std::string>()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("{\n    \"score\""), r.out.find('{'));  // Python's key order: score, token, token_str, sequence
  const json got = json::parse(r.out);
  ASSERT_EQ(got.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(got[i].begin().key(), "score");
    EXPECT_EQ(got[i]["token"], want["output"][i]["token"]);
    EXPECT_EQ(got[i]["sequence"], want["output"][i]["sequence"]);
  }
}

TEST(CliFillMask, TargetsTopKAndSeveralTexts) {
  // "[MASK] a [MASK]" stays one text (CLI11 would read "[...]" as a list).
  const CliResult r = run({"fill-mask", "-m", bert(), "--targets", "stop, go", "-k", "5", "Don't [MASK] now.", "[MASK] a [MASK]"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json got = json::parse(r.out);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].size(), 2u);     // capped at the two targets
  EXPECT_EQ(got[1].size(), 2u);     // two masks
  EXPECT_EQ(got[1][0].size(), 2u);  // each with the two targets
  EXPECT_EQ(run({"fill-mask", "-m", bert(), "no mask here"}).status, 1);
  EXPECT_EQ(run({"fill-mask", "-m", bert(), "--targets", " , ", "a [MASK]"}).status, 2);
  EXPECT_EQ(run({"fill-mask", "-m", bert(), "--top-k", "-1", "a [MASK]"}).status, 2);
  EXPECT_EQ(run({"fill-mask", "-m", bert(), "--no-such-option", "a [MASK]"}).status, 2);
}

TEST(CliFillMask, StreamWithErrors) {
  const CliResult r = run({"fill-mask", "-m", bert(), "-k", "1"}, {"a [MASK] b\nno mask\nx [MASK] y\n"});
  EXPECT_EQ(r.status, 1);
  const auto lines = r.records();
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[0].size(), 1u);
  EXPECT_EQ(lines[1]["line"], 2);
  EXPECT_NE(lines[1]["error"].get<std::string>().find("No mask_token ([MASK])"), std::string::npos);
  EXPECT_EQ(lines[2][0]["sequence"].get<std::string>().substr(0, 2), "x ");
  const CliResult jsonl = run({"fill-mask", "-m", bert(), "-k", "1", "--input-format", "jsonl"},
                              {"{\"id\": 7, \"text\": \"a [MASK] b\"}\n"});
  ASSERT_EQ(jsonl.status, 0) << jsonl.err;
  EXPECT_EQ(jsonl.records().at(0)["id"], 7);
  EXPECT_EQ(jsonl.records().at(0)["output"].size(), 1u);
}

TEST(CliNextSentence, PairFromArgumentsAndStream) {
  const json want = expected("tiny-bert")["nsp"][0];
  CliResult r = run({"next-sentence", "-m", bert(), "Istanbul is a great city to visit.", "I have been there."});
  ASSERT_EQ(r.status, 0) << r.err;
  const json got = json::parse(r.out);
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(got["logits"][i].get<double>(), want["logits"][i].get<double>(), 1e-4);
    EXPECT_NEAR(got["probs"][i].get<double>(), want["probs"][i].get<double>(), 1e-5);
  }
  EXPECT_TRUE(got["is_next"].get<bool>());
  r = run({"next-sentence", "-m", bert()}, {"a b\tc d\nno tab\n"});
  EXPECT_EQ(r.status, 1);
  auto lines = r.records();
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0]["text_pair"], "c d");
  EXPECT_TRUE(lines[1].contains("error"));
  r = run({"next-sentence", "-m", bert(), "--input-format", "jsonl"}, {"{\"text\": \"p\", \"text_pair\": \"q\"}\n"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.records().at(0)["text"], "p");
  EXPECT_EQ(run({"next-sentence", "-m", bert(), "only one text"}).status, 2);
  EXPECT_EQ(run({"next-sentence", "-m", bert(), "", "b"}).status, 2);
  EXPECT_EQ(run({"next-sentence", "-m", model("tiny-roberta-mnli"), "a", "b"}).status, 1);
}

TEST(CliFeatureExtraction, ShapeAndTruncation) {
  CliResult r = run({"feature-extraction", "-m", bert(), "Hello world"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json got = json::parse(r.out);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].size(), 4u);
  EXPECT_EQ(got[0][0].size(), 16u);
  r = run({"feature-extraction", "-m", bert(), "--max-length", "3"}, {"Hello world\n"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.records().at(0)[0].size(), 3u);
  EXPECT_EQ(run({"feature-extraction", "-m", bert(), ""}).status, 2);
  EXPECT_EQ(run({"feature-extraction", "-m", bert(), "--max-length", "0", "x"}).status, 2);
}

TEST(CliEmbed, VectorsAsSentenceTransformers) {
  const json want = expected("tiny-sentence-bert")["public"];
  CliResult r = run({"embed", "-m", model("tiny-sentence-bert"), want[0]["text"].get<std::string>(), ""});
  ASSERT_EQ(r.status, 0) << r.err;
  const json got = json::parse(r.out);
  ASSERT_EQ(got.size(), 2u);  // a list of vectors, one per text
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_NEAR(got[0][i].get<double>(), want[0]["embedding"][i].get<double>(), 1e-4);
    EXPECT_NEAR(got[1][i].get<double>(), want[4]["embedding"][i].get<double>(), 1e-4);
  }
  r = run({"embed", "--no-normalize", "-m", model("tiny-sentence-bert")}, {"one\ntwo\n"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = r.records();
  ASSERT_EQ(lines.size(), 2u);
  double norm = 0;
  for (const auto& x : lines[0]) norm += x.get<double>() * x.get<double>();
  EXPECT_GT(std::abs(norm - 1.0), 1e-3);  // not unit length without the Normalize module
  EXPECT_EQ(run({"embed", "-m", model("tiny-sentence-bert"), "--normalize", "--no-normalize", "x"}).status, 2);
  EXPECT_EQ(run({"embed", "-m", model("tiny-sentence-bert"), "--prompt-name", "nope", "x"}).status, 1);
}
