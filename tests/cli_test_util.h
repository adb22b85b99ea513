#pragma once
// Runs the lmpipe CLI through the shell, for the CLI tests.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace lmpipe::test {

struct CliRun {
  int exit_code;
  std::string out;  // stdout, or stderr when asked for
};

// `args` after the binary; `stdin_text` as its standard input. Returns stdout with stderr
// discarded, or (want_stderr) stderr with stdout discarded.
inline CliRun run_cli(const std::string& args, const std::string& stdin_text = "", bool want_stderr = false) {
  const auto input = std::filesystem::temp_directory_path() / ("lmpipe_cli_stdin_" + std::to_string(::getpid()));
  std::ofstream(input, std::ios::binary) << stdin_text;
  const std::string cmd = std::string(LMPIPE_CLI_PATH) + " " + args +
                          (want_stderr ? " 2>&1 >/dev/null" : " 2>/dev/null") + " <" + input.string();
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

}  // namespace lmpipe::test
