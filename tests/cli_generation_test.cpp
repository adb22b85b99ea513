// The generation subcommands: JSON output as the Python pipelines return it, --stream, stdin lines
// with per-line errors, exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "model_test_util.h"
#include "util/json.h"

using lmpipe::json;

namespace {

struct CliRun {
  int exit_code;
  std::string out;
};

// The CLI's stdout (stderr discarded) for `args` with `stdin_text` as its input.
CliRun run_cli(const std::string& args, const std::string& stdin_text = "") {
  auto input = std::filesystem::temp_directory_path() / ("lmpipe_cli_gen_stdin_" + std::to_string(::getpid()));
  std::ofstream(input, std::ios::binary) << stdin_text;
  const std::string cmd = std::string(LMPIPE_CLI_PATH) + " " + args + " 2>/dev/null <" + input.string();
  FILE* pipe = ::popen(cmd.c_str(), "r");
  CliRun run{-1, ""};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) run.out.append(buf, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove(input);
  return run;
}

std::string model(const char* name) { return lmpipe::test::golden_model(name).string(); }

TEST(CliTextGeneration, PrintsThePipelinesJson) {
  const json expected = lmpipe::test::golden_expected("tiny-gpt2-bf16")["pipeline"];
  const CliRun r = run_cli("text-generation --model " + model("tiny-gpt2-bf16") + " --max-new-tokens 10 \"If you don't\"");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json::parse(r.out), expected["output"]);
}

TEST(CliTextGeneration, StreamsText) {
  const json expected = lmpipe::test::golden_expected("tiny-gpt2-bf16")["pipeline"];
  const CliRun r =
      run_cli("text-generation --model " + model("tiny-gpt2-bf16") + " --max-new-tokens 10 --stream \"If you don't\"");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, expected["output"][0]["generated_text"].get<std::string>() + "\n");
}

TEST(CliTextGeneration, StdinLinesWithPerLineErrors) {
  const CliRun r = run_cli("text-generation --model " + model("tiny-gpt2-bf16") + " --max-new-tokens 3 --return-tensors",
                           "Hello\n{\"text\": \"Hello\"}\n{oops\n");
  EXPECT_EQ(r.exit_code, 1);
  std::istringstream lines(r.out);
  std::string a, b, c;
  std::getline(lines, a), std::getline(lines, b), std::getline(lines, c);
  EXPECT_EQ(json::parse(a)[0]["generated_token_ids"].size(), 4u);
  EXPECT_EQ(json::parse(a), json::parse(b));
  EXPECT_TRUE(json::parse(c).contains("error"));
}

TEST(CliSeq2Seq, SummarizationTranslationText2Text) {
  const json bart = lmpipe::test::golden_expected("tiny-bart-cnn")["generate_default"]["public"][0];
  CliRun r = run_cli("summarization --model " + model("tiny-bart-cnn") + " '" + bart["input"].get<std::string>() + "'");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(json::parse(r.out), json::array({{{"summary_text", bart["text"]}}}));
  const json t5 = lmpipe::test::golden_expected("tiny-t5")["greedy"]["public"][0];
  r = run_cli("text2text-generation --model " + model("tiny-t5") + " --num-beams 1 --max-new-tokens 10 '" +
              t5["input"].get<std::string>() + "'");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(json::parse(r.out), json::array({{{"generated_text", t5["text"]}}}));
  r = run_cli("translation --model " + model("tiny-t5") + " --num-beams 1 --max-new-tokens 10 'a' 'b'");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_TRUE(json::parse(r.out)[1].contains("translation_text"));
}

TEST(CliGenerationErrors, ClearMessagesAndExitCodes) {
  EXPECT_EQ(run_cli("text-generation --model " + model("tiny-gpt2-bf16") + " --max-new-tokens 0 x").exit_code, 1);
  EXPECT_EQ(run_cli("text-generation --model " + model("tiny-t5") + " x").exit_code, 1);
  EXPECT_EQ(run_cli("summarization --model " + model("tiny-bart-cnn") + " --num-beams 2 --num-return-sequences 3 x").exit_code, 1);
  EXPECT_EQ(run_cli("translation --model " + model("tiny-t5") + " --task summarize x").exit_code, 1);
}

}  // namespace
