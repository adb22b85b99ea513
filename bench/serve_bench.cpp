// Helpers for bench/run_serve_bench.sh (the `lmpipe serve` load benchmark; see BENCHMARKS.md):
//
//   serve_bench write DIR [--emails N]
//       DIR/{short,mixed}.txt    emails, one per line (the CLI's stdin); mixed: 5-90 words
//                                (bench/mixed_length_emails.h), short: those of at most 18 words
//       DIR/{short,mixed}.jsonl  the same as Inference API request bodies (2 labels), one per line
//       DIR/soak.jsonl           one good body in ten, the others bad (invalid JSON and UTF-8, missing or
//                                wrong fields, empty text) for the soak
//   serve_bench cli LMPIPE MODEL TEXTS [CLI args...]
//       runs `LMPIPE zero-shot --model MODEL --labels "spam,not spam" --template "This email is {}."`
//       on TEXTS as stdin, timestamps each output line, prints JSON: emails/s after the first
//       output (the model loaded), and with the load.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mixed_length_emails.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::string kTemplate = "This email is {}.";
const json kLabels = {"spam", "not spam"};

size_t word_count(const std::string& s) {
  size_t n = 0;
  bool in_word = false;
  for (char c : s) {
    bool space = c == ' ';
    n += !space && !in_word;
    in_word = !space;
  }
  return n;
}

json request(const std::string& email) {
  return json{{"inputs", email}, {"parameters", {{"candidate_labels", kLabels}, {"hypothesis_template", kTemplate}}}};
}

void write_set(const fs::path& dir, const std::string& name, const std::vector<std::string>& emails) {
  std::ofstream texts(dir / (name + ".txt")), bodies(dir / (name + ".jsonl"));
  for (const auto& e : emails) {
    texts << e << "\n";
    bodies << request(e).dump() << "\n";
  }
}

int write(const fs::path& dir, size_t count) {
  fs::create_directories(dir);
  const auto mixed = lmpipe::bench::mixed_length_emails(count);
  std::vector<std::string> short_ones;
  for (const auto& e : mixed)
    if (word_count(e) <= 18) short_ones.push_back(e);
  write_set(dir, "mixed", mixed);
  write_set(dir, "short", short_ones);
  // Soak: one good body in ten, the others cycling through the classes of bad request.
  std::ofstream soak(dir / "soak.jsonl");
  const std::vector<std::string> bad = {
      "{\"inputs\": ",                                                                // 400 invalid JSON
      "{\"inputs\": \"caf\xC3\x28\", \"parameters\": {\"candidate_labels\": [\"a\"]}}",  // 400 invalid UTF-8
      "{\"parameters\": {\"candidate_labels\": [\"a\"]}}",                            // 422 no inputs
      "{\"inputs\": \"x\", \"parameters\": {\"candidate_labels\": 5}}",               // 422 wrong type
      "{\"inputs\": \"\", \"parameters\": {\"candidate_labels\": [\"a\"]}}",          // 422 empty text
      "{\"inputs\": 5, \"parameters\": {\"candidate_labels\": [\"a\"]}}",             // 422 wrong type
  };
  for (size_t i = 0; i < mixed.size(); ++i) {
    soak << request(mixed[i]).dump() << "\n";
    for (size_t k = 0; k < 9; ++k) soak << bad[(9 * i + k) % bad.size()] << "\n";
  }
  std::cout << mixed.size() << " mixed, " << short_ones.size() << " short emails in " << dir.string() << "\n";
  return 0;
}

int cli(const std::string& lmpipe, const std::string& model, const fs::path& texts, const std::vector<std::string>& extra) {
  size_t emails = 0;
  {
    std::ifstream in(texts);
    for (std::string line; std::getline(in, line);) ++emails;
  }
  int fds[2];
  if (pipe(fds) != 0) return 1;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(texts.c_str(), O_RDONLY);
    dup2(in, STDIN_FILENO);
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    std::vector<std::string> args = {lmpipe, "zero-shot", "--model", model, "--labels", "spam,not spam", "--template", kTemplate};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  std::vector<double> times;
  char buf[65536];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) {
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    for (ssize_t i = 0; i < n; ++i)
      if (buf[i] == '\n') times.push_back(t);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const double total = std::chrono::duration<double>(Clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || times.size() != emails) {
    std::cerr << "serve_bench cli: the CLI failed (" << times.size() << " lines for " << emails << " emails)\n";
    return 1;
  }
  // The first batch's lines arrive together; what follows is steady-state work.
  const size_t first = std::count(times.begin(), times.end(), times.front());
  const double steady = times.back() - times.front();
  std::cout << json{{"emails", emails},
                    {"total_s", total},
                    {"first_output_s", times.front()},
                    {"emails_per_s", steady > 0 ? (emails - first) / steady : 0.0},
                    {"emails_per_s_with_load", emails / total}}
                   .dump()
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "write") {
    size_t count = 200;
    if (args.size() == 4 && args[2] == "--emails") count = std::stoul(args[3]);
    return write(args[1], count);
  }
  if (args.size() >= 4 && args[0] == "cli") return cli(args[1], args[2], args[3], {args.begin() + 4, args.end()});
  std::cerr << "usage: serve_bench write DIR [--emails N] | serve_bench cli LMPIPE MODEL TEXTS [CLI args...]\n";
  return 2;
}
