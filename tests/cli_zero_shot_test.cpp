// The `lmpipe zero-shot` command: output shape, stdin streaming, exit codes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"
#include "util/json.h"

using lmpipe::json;

namespace {

struct CliRun {
  int exit_code;
  std::string out;
};

// Runs the CLI through the shell and returns its stdout, stderr discarded; or, asked for, its
// stderr with stdout discarded.
CliRun run_cli(const std::string& args, const std::string& stdin_text = "", bool want_stderr = false) {
  auto input = std::filesystem::temp_directory_path() / ("lmpipe_cli_stdin_" + std::to_string(::getpid()));
  std::ofstream(input, std::ios::binary) << stdin_text;
  std::string cmd = std::string(LMPIPE_CLI_PATH) + " " + args + (want_stderr ? " 2>&1 >/dev/null" : " 2>/dev/null") +
                    " <" + input.string();
  FILE* pipe = ::popen(cmd.c_str(), "r");
  CliRun run{-1, ""};
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) run.out.append(buf, n);
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove(input);
  return run;
}

std::string model() { return lmpipe::test::golden_model("tiny-bart-mnli").string(); }

TEST(CliZeroShot, ClassifiesArgumentText) {
  CliRun r = run_cli("zero-shot --model " + model() + " --labels 'spam,not spam' --template 'This email is {}.' 'Get a free iPhone now!'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = json::parse(r.out);
  EXPECT_EQ(j["sequence"], "Get a free iPhone now!");
  EXPECT_EQ(j["labels"], json({"not spam", "spam"}));
  EXPECT_NEAR(j["scores"][0].get<double>(), 0.6257941126823425, 1e-5);
}

TEST(CliZeroShot, SaysWhenTheInputIsTruncated) {
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += "word ";
  std::string err = run_cli("zero-shot --model " + model() + " --labels a,b '" + long_text + "'", "", true).out;
  EXPECT_NE(err.find("lmpipe: warning: input truncated to 128 tokens"), std::string::npos) << err;
  // Once per process, not once per label pair.
  EXPECT_EQ(err.find("truncated", err.find("truncated") + 1), std::string::npos) << err;
  EXPECT_EQ(run_cli("zero-shot --model " + model() + " --labels a,b 'short text'", "", true).out, "");
}

TEST(CliZeroShot, StreamsOneResultPerStdinLine) {
  CliRun r = run_cli("zero-shot --model " + model() + " --labels 'spam,not spam'",
                  "first email\n{\"text\": \"second email\"}\n\"third email\"\n");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::vector<std::string> lines;
  size_t start = 0, nl;
  while ((nl = r.out.find('\n', start)) != std::string::npos) {
    lines.push_back(r.out.substr(start, nl - start));
    start = nl + 1;
  }
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(json::parse(lines[0])["sequence"], "first email");
  EXPECT_EQ(json::parse(lines[1])["sequence"], "second email");
  EXPECT_EQ(json::parse(lines[2])["sequence"], "third email");
}

TEST(CliZeroShot, BadInputExitsNonZero) {
  EXPECT_NE(run_cli("zero-shot --model " + model() + " --labels ' , ' hello").exit_code, 0);
  EXPECT_NE(run_cli("zero-shot --model " + model() + " --labels a --template 'no placeholder' hello").exit_code, 0);
  EXPECT_NE(run_cli("zero-shot --model /nonexistent/dir --labels a hello").exit_code, 0);
  EXPECT_NE(run_cli("zero-shot --model " + model() + " --labels a ''").exit_code, 0);
  EXPECT_NE(run_cli("zero-shot --model " + model() + " hello").exit_code, 0);  // --labels is required
}

}  // namespace
