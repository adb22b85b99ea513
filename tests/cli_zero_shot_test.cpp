// The `lmpipe zero-shot` command: Python's output shape and key order, streaming, exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_test_util.h"

namespace lmpipe::test {
namespace {

using ::testing::HasSubstr;

std::string bart() { return golden_model("tiny-bart-mnli").string(); }

TEST(CliZeroShot, ClassifiesArgumentText) {
  auto r = run_cli({"zero-shot", "--model", bart(), "--labels", "spam,not spam", "--template", "This email is {}.",
                    "Get a free iPhone now!"});
  ASSERT_EQ(r.status, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["sequence"], "Get a free iPhone now!");
  EXPECT_EQ(j["labels"], json({"not spam", "spam"}));
  EXPECT_NEAR(j["scores"][0].get<double>(), 0.6257941126823425, 1e-5);
}

// 10. Keys in the order Python prints them: sequence, labels, scores.
TEST(CliZeroShot, KeysInPythonsOrder) {
  auto r = run_cli({"zero-shot", "-m", cli_model(), "-l", "a,b", "one", "two"}, {});
  ASSERT_EQ(r.status, 0) << r.err;
  json list = json::parse(r.out);
  ASSERT_EQ(list.size(), 2u);
  for (const auto& result : list) {
    std::vector<std::string> keys;
    for (auto it = result.begin(); it != result.end(); ++it) keys.push_back(it.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"sequence", "labels", "scores"}));
  }
  auto streamed = run_cli({"zero-shot", "-m", cli_model(), "-l", "a,b"}, {.input = {"one\n"}});
  ASSERT_EQ(streamed.status, 0) << streamed.err;
  EXPECT_EQ(streamed.out.rfind("{\"sequence\":\"one\",\"labels\":[", 0), 0u) << streamed.out;
}

TEST(CliZeroShot, SaysWhenTheInputIsTruncated) {
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += "word ";
  auto r = run_cli({"zero-shot", "--model", bart(), "--labels", "a,b", long_text});
  EXPECT_EQ(r.err_count("lmpipe: warning: input truncated to 128 tokens"), 1u) << r.err;
  EXPECT_EQ(r.err_count("truncated"), 1u);  // once per process, not once per label pair
  EXPECT_EQ(run_cli({"zero-shot", "--model", bart(), "--labels", "a,b", "short text"}).err, "");
}

TEST(CliZeroShot, StreamsOneResultPerStdinLine) {
  auto r = run_cli({"zero-shot", "--model", bart(), "--labels", "spam,not spam"},
                   {.input = {"first email\nsecond email\nthird email\n"}});
  ASSERT_EQ(r.status, 0) << r.err;
  auto records = r.records();
  ASSERT_EQ(records.size(), 3u) << r.out;
  EXPECT_EQ(records[0]["sequence"], "first email");
  EXPECT_EQ(records[1]["sequence"], "second email");
  EXPECT_EQ(records[2]["sequence"], "third email");
  EXPECT_EQ(r.err, "");
}

TEST(CliZeroShot, BadArgumentsAreUsageErrors) {
  EXPECT_EQ(run_cli({"zero-shot", "--model", cli_model(), "--labels", " , ", "hello"}).status, 2);
  EXPECT_EQ(run_cli({"zero-shot", "--model", cli_model(), "--labels", "a", "--template", "no placeholder", "hello"}).status, 2);
  auto empty = run_cli({"zero-shot", "--model", cli_model(), "--labels", "a", ""});
  EXPECT_EQ(empty.status, 2);
  EXPECT_THAT(empty.err, HasSubstr("TEXT 1 is empty"));
  auto no_labels = run_cli({"zero-shot", "--model", cli_model(), "hello"});
  EXPECT_EQ(no_labels.status, 2);
  EXPECT_THAT(no_labels.err, HasSubstr("no candidate labels: give --label LABEL (repeatable) or --labels 'a,b'"));
  auto no_model = run_cli({"zero-shot", "--model", "/nonexistent/dir", "--labels", "a", "hello"});
  EXPECT_EQ(no_model.status, 1);
  EXPECT_THAT(no_model.err, HasSubstr("/nonexistent/dir"));
}

}  // namespace
}  // namespace lmpipe::test
