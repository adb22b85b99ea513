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

TEST(CliTextGeneration, StdinRecordsWithPerLineErrors) {
  const std::string cmd = "text-generation --model " + model("tiny-gpt2-bf16") + " --max-new-tokens 3 --return-tensors";
  CliRun r = run_cli(cmd, "Hello\nHello\n");
  ASSERT_EQ(r.exit_code, 0);
  std::istringstream lines(r.out);
  std::string a, b;
  std::getline(lines, a), std::getline(lines, b);
  EXPECT_EQ(json::parse(a)[0]["generated_token_ids"].size(), 4u);
  EXPECT_EQ(json::parse(a), json::parse(b));
  // JSONL: other fields come first, the result under "output"; a record without text fails alone.
  r = run_cli(cmd + " --input-format jsonl --batch-size 2", "{\"text\": \"Hello\", \"id\": 7}\n{\"id\": 8}\n");
  EXPECT_EQ(r.exit_code, 1);
  std::istringstream records(r.out);
  std::getline(records, a), std::getline(records, b);
  EXPECT_EQ(json::parse(a)["id"], 7);
  EXPECT_EQ(json::parse(a)["output"], json::parse(lines.str().substr(0, lines.str().find('\n'))));
  EXPECT_EQ(json::parse(b)["line"], 2);
  EXPECT_TRUE(json::parse(b).contains("error"));
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

TEST(CliGenerationErrors, UsageErrorsBeforeAnyModelAndRuntimeFailures) {
  const std::string gpt2 = model("tiny-gpt2-bf16");
  // Exit status 2: found without loading a model.
  EXPECT_EQ(run_cli("text-generation --model " + gpt2 + " --max-new-tokens 0 x").exit_code, 2);
  EXPECT_EQ(run_cli("text-generation --model " + gpt2 + " --kwargs '{\"typical_p\": 0.5}' x").exit_code, 2);
  EXPECT_EQ(run_cli("text-generation --model " + gpt2 + " --kwargs '[1]' x").exit_code, 2);
  EXPECT_EQ(run_cli("text-generation --model " + gpt2 + " --stream --return-tensors x").exit_code, 2);
  EXPECT_EQ(run_cli("text-generation --model " + gpt2 + " --stream", "x\n").exit_code, 2);
  EXPECT_EQ(run_cli("translation --model " + model("tiny-t5") + " --task summarize x").exit_code, 2);
  // Exit status 1: the model cannot do it.
  EXPECT_EQ(run_cli("text-generation --model " + model("tiny-t5") + " x").exit_code, 1);
  EXPECT_EQ(run_cli("summarization --model " + model("tiny-bart-cnn") + " --num-beams 2 --num-return-sequences 3 x").exit_code, 1);
}

// --dtype on every generation subcommand: a bad value is a usage error found before the model is
// looked for (exit 2, not the missing model's 1); the reduced dtypes generate.
TEST(CliGenerationDtype, CheckedBeforeTheModelAndApplied) {
  for (const char* command : {"text-generation", "summarization", "translation", "text2text-generation"}) {
    EXPECT_EQ(run_cli(std::string(command) + " --model /nonexistent/model --dtype fp16 x").exit_code, 2) << command;
    EXPECT_EQ(run_cli(std::string(command) + " --model /nonexistent/model --dtype int8 x").exit_code, 1) << command;
  }
  for (const char* dtype : {"bfloat16", "int8"}) {
    const CliRun r = run_cli("text-generation --model " + model("tiny-gpt2-bf16") + " --dtype " + dtype +
                             " --max-new-tokens 3 --min-new-tokens 3 --return-tensors x");
    ASSERT_EQ(r.exit_code, 0) << dtype;
    EXPECT_EQ(json::parse(r.out)[0]["generated_token_ids"].size(), 4u) << dtype;
  }
}

}  // namespace
