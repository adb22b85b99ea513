// Zero-shot classification speed and memory on a bart-large-mnli-shaped model (make one with
// tools/make_bart_large_mnli; see bench/run_zero_shot_bench.sh and BENCHMARKS.md):
//  - pipeline load time, RSS after load;
//  - emails/s with 2 and 10 labels, one email per classify() call (with p50/p95 latency) and
//    all emails in one call (the pipeline batches the pairs);
//  - one forward pass of 2 pairs x 16 tokens through load_sequence_classifier (median of N);
//  - peak RSS (ru_maxrss) of the pipeline part;
//  - the CLI's stdin mode end to end (`lmpipe zero-shot --model DIR ... < emails.txt`): total
//    time and emails/s with the load, and emails/s after the first batch's output (no load).
//
//   zero_shot_bench --model DIR [--emails N] [--forward-runs N] [--cli PATH] [--only cli|pipeline|forward] [--json]
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lmpipe/zero_shot.h"
#include "models/model.h"
#include "short_emails.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Progress on stderr: a full run takes minutes.
void progress(const std::string& step) { std::fprintf(stderr, "zero_shot_bench: %s\n", step.c_str()); }

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // ru_maxrss is in KiB on Linux
}

double current_rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1048576.0);
}

const std::vector<std::string> kTwoLabels = {"spam", "not spam"};
const std::vector<std::string> kTenLabels = {"work", "personal", "finance", "travel", "shopping",
                                             "spam", "family", "health", "education", "urgent"};
const std::string kTemplate = "This email is {}.";

nlohmann::json bench_pipeline(const lmpipe::ZeroShotClassificationPipeline& pipeline,
                              const std::vector<std::string>& emails, const std::vector<std::string>& labels) {
  progress(std::to_string(labels.size()) + " labels");
  lmpipe::ZeroShotOptions options{kTemplate, false};
  pipeline.classify(emails.front(), labels, options);  // warm-up
  std::vector<double> latencies;
  auto start = Clock::now();
  for (const auto& email : emails) {
    auto one = Clock::now();
    pipeline.classify(email, labels, options);
    latencies.push_back(since(one));
  }
  double per_call_s = since(start);
  start = Clock::now();
  auto results = pipeline.classify(emails, labels, options);
  double batched_s = since(start);
  if (results.size() != emails.size()) throw std::runtime_error("pipeline returned the wrong number of results");
  return {{"labels", labels.size()},
          {"emails", emails.size()},
          {"per_call_emails_per_s", emails.size() / per_call_s},
          {"p50_ms", percentile(latencies, 0.50) * 1e3},
          {"p95_ms", percentile(latencies, 0.95) * 1e3},
          {"batched_emails_per_s", emails.size() / batched_s}};
}

// 2 (premise, hypothesis) pairs of 16 tokens shaped as BART sees them: <s> a </s></s> b </s>.
lmpipe::Batch two_pairs_of_16_tokens() {
  lmpipe::Batch batch;
  batch.batch = 2;
  batch.seq_len = 16;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> word(1000, 40000);
  for (int row = 0; row < 2; ++row) {
    batch.input_ids.push_back(0);
    for (int i = 0; i < 6; ++i) batch.input_ids.push_back(word(rng));
    batch.input_ids.insert(batch.input_ids.end(), {2, 2});
    for (int i = 0; i < 6; ++i) batch.input_ids.push_back(word(rng));
    batch.input_ids.push_back(2);
  }
  batch.attention_mask.assign(batch.input_ids.size(), 1);
  return batch;
}

nlohmann::json bench_forward(const fs::path& model_dir, int runs) {
  progress("forward pass 2x16");
  auto start = Clock::now();
  auto model = lmpipe::load_sequence_classifier(model_dir);
  double load_s = since(start);
  auto batch = two_pairs_of_16_tokens();
  for (int i = 0; i < 2; ++i) model->classify(batch);  // warm-up
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    auto one = Clock::now();
    model->classify(batch);
    times.push_back(since(one));
  }
  return {{"load_s", load_s}, {"runs", runs}, {"median_ms", percentile(times, 0.5) * 1e3},
          {"best_ms", *std::min_element(times.begin(), times.end()) * 1e3}};
}

// Runs the CLI on the emails as stdin; timestamps each output line as it arrives.
nlohmann::json bench_cli(const fs::path& cli, const fs::path& model_dir, const std::vector<std::string>& emails) {
  progress("CLI stdin mode");
  fs::path input = fs::temp_directory_path() / ("lmpipe_zero_shot_emails_" + std::to_string(getpid()) + ".txt");
  {
    std::ofstream out(input);
    for (const auto& e : emails) out << e << "\n";
  }
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(input.c_str(), O_RDONLY);
    dup2(in, STDIN_FILENO);
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    execl(cli.c_str(), cli.c_str(), "zero-shot", "--model", model_dir.c_str(), "--labels", "spam,not spam",
          "--template", kTemplate.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  std::vector<double> line_times;
  std::string pending;
  char buffer[65536];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
    double t = since(start);
    for (ssize_t i = 0; i < n; ++i)
      if (buffer[i] == '\n') line_times.push_back(t);
  }
  close(pipe_fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  double total_s = since(start);
  fs::remove(input);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || line_times.size() != emails.size())
    throw std::runtime_error("CLI run failed (exit status " + std::to_string(WEXITSTATUS(status)) + ", " +
                             std::to_string(line_times.size()) + " lines for " + std::to_string(emails.size()) + " emails)");
  // The first batch's lines arrive together; everything after it is steady-state work.
  size_t first_batch = std::count(line_times.begin(), line_times.end(), line_times.front());
  double steady_s = line_times.back() - line_times.front();
  return {{"emails", emails.size()},
          {"total_s", total_s},
          {"emails_per_s_with_load", emails.size() / total_s},
          {"first_output_s", line_times.front()},
          {"emails_after_first_batch", emails.size() - first_batch},
          {"emails_per_s_without_load", steady_s > 0 ? (emails.size() - first_batch) / steady_s : 0.0},
          {"peak_rss_mb", usage.ru_maxrss / 1024.0}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    fs::path model_dir, cli = LMPIPE_CLI_PATH;
    size_t email_count = 60;
    int forward_runs = 20;
    bool as_json = false;
    std::string only;
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      auto value = [&] {
        if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
        return std::string(argv[++i]);
      };
      if (arg == "--model") model_dir = value();
      else if (arg == "--emails") email_count = std::stoul(value());
      else if (arg == "--forward-runs") forward_runs = std::max(1, std::stoi(value()));
      else if (arg == "--cli") cli = value();
      else if (arg == "--only") only = value();
      else if (arg == "--json") as_json = true;
      else throw std::runtime_error("unknown argument " + arg);
    }
    if (model_dir.empty()) throw std::runtime_error("--model DIR is required (make one with make_bart_large_mnli)");
    setenv("LMPIPE_NUM_THREADS", "2", 0);
    auto emails = lmpipe::bench::short_emails(email_count);

    nlohmann::json report;
    report["threads"] = std::getenv("LMPIPE_NUM_THREADS");
    auto wanted = [&](const char* section) { return only.empty() || only == section; };
    // The CLI goes first: a forked child's ru_maxrss starts from the parent's RSS at fork.
    if (wanted("cli")) report["cli_stdin"] = bench_cli(cli, model_dir, emails);
    if (wanted("pipeline")) {
      progress("loading the pipeline");
      auto start = Clock::now();
      lmpipe::ZeroShotClassificationPipeline pipeline(model_dir);
      report["load_s"] = since(start);
      report["rss_after_load_mb"] = current_rss_mb();
      report["two_labels"] = bench_pipeline(pipeline, emails, kTwoLabels);
      report["ten_labels"] = bench_pipeline(pipeline, emails, kTenLabels);
      report["pipeline_peak_rss_mb"] = peak_rss_mb();
    }
    if (wanted("forward")) report["forward_2x16"] = bench_forward(model_dir, forward_runs);

    if (as_json) {
      std::cout << report.dump() << "\n";
      return 0;
    }
    std::printf("threads %s, %zu emails\n", report["threads"].get<std::string>().c_str(), emails.size());
    if (report.contains("cli_stdin")) {
      const auto& c = report["cli_stdin"];
      std::printf("CLI stdin, 2 labels      %.2f s total: %.2f emails/s with load, %.2f emails/s without "
                  "(first output at %.2f s), peak RSS %.0f MB\n",
                  c["total_s"].get<double>(), c["emails_per_s_with_load"].get<double>(),
                  c["emails_per_s_without_load"].get<double>(), c["first_output_s"].get<double>(),
                  c["peak_rss_mb"].get<double>());
    }
    if (report.contains("load_s")) {
      std::printf("pipeline load            %.2f s (RSS after load %.0f MB)\n", report["load_s"].get<double>(),
                  report["rss_after_load_mb"].get<double>());
      for (const char* key : {"two_labels", "ten_labels"}) {
        const auto& r = report[key];
        std::printf("%2d labels: per call %.2f emails/s (p50 %.0f ms, p95 %.0f ms); batched %.2f emails/s\n",
                    r["labels"].get<int>(), r["per_call_emails_per_s"].get<double>(), r["p50_ms"].get<double>(),
                    r["p95_ms"].get<double>(), r["batched_emails_per_s"].get<double>());
      }
      std::printf("pipeline peak RSS        %.0f MB\n", report["pipeline_peak_rss_mb"].get<double>());
    }
    if (report.contains("forward_2x16")) {
      const auto& f = report["forward_2x16"];
      std::printf("forward 2x16 tokens      median %.1f ms, best %.1f ms (%d runs; model load %.2f s)\n",
                  f["median_ms"].get<double>(), f["best_ms"].get<double>(), f["runs"].get<int>(), f["load_s"].get<double>());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zero_shot_bench: %s\n", e.what());
    return 1;
  }
}
