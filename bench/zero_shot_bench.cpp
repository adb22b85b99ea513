// Zero-shot classification speed, memory and drift on a bart-large-mnli-shaped model (make one
// with tools/make_bart_large_mnli; see bench/run_zero_shot_bench.sh and BENCHMARKS.md), on
// mixed-length emails (bench/mixed_length_emails.h, fixed seed):
//  cli      the CLI's stdin mode end to end, once per dtype per round, rounds alternating the
//           dtypes: wall time with the load, emails/s after the first output, peak RSS (the
//           child's ru_maxrss) against the fp32 weight bytes, and every score's drift from the
//           float32 run (max |Δscore|; label order kept where float32's top-two gap > 0.05).
//  pipeline the API in this process with --dtype: load time, 2 and 10 labels with all emails in
//           one call and one email per call, peak RSS.
//  forward  one forward pass of 2 pairs x 16 tokens through load_sequence_classifier (median).
//
//   zero_shot_bench --model DIR [--emails N] [--rounds N] [--dtypes float32,bfloat16,int8]
//                   [--dtype D] [--forward-runs N] [--cli PATH] [--only cli|pipeline|forward] [--json]
//                   [-- extra CLI arguments, e.g. --batch-size 16]
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lmpipe/tokenizer.h"
#include "lmpipe/zero_shot.h"
#include "mixed_length_emails.h"
#include "models/model.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
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

// Bytes of the checkpoint's tensors (fp32 on disk for the benchmark model).
double weight_mb(const fs::path& model_dir) { return fs::file_size(model_dir / "model.safetensors") / 1048576.0; }

const std::vector<std::string> kTwoLabels = {"spam", "not spam"};
const std::vector<std::string> kTenLabels = {"work", "personal", "finance", "travel", "shopping",
                                             "spam", "family", "health", "education", "urgent"};
const std::string kTemplate = "This email is {}.";

// Token counts of the (email, hypothesis) pairs, to compare the set with other benchmarks'.
json pair_lengths(const fs::path& model_dir, const std::vector<std::string>& emails) {
  const lmpipe::Tokenizer tokenizer = lmpipe::Tokenizer::from_dir(model_dir);
  std::vector<double> lengths;
  for (const auto& email : emails)
    for (const auto& label : kTwoLabels)
      lengths.push_back(static_cast<double>(tokenizer.encode_pair(email, "This email is " + label + ".").ids.size()));
  double total = 0;
  for (double n : lengths) total += n;
  return {{"pairs", lengths.size()}, {"mean_tokens", total / lengths.size()},
          {"max_tokens", *std::max_element(lengths.begin(), lengths.end())},
          {"min_tokens", *std::min_element(lengths.begin(), lengths.end())}};
}

// One CLI run on the emails as stdin; timestamps each output line as it arrives.
struct CliRun {
  double total_s = 0, first_output_s = 0, after_load_emails_per_s = 0, peak_rss_mb = 0;
  std::vector<json> results;
};

CliRun run_cli(const fs::path& cli, const fs::path& model_dir, const fs::path& input, size_t emails,
               const std::string& dtype, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {cli.string(), "zero-shot", "--model",    model_dir.string(), "--labels",
                                   "spam,not spam", "--template", kTemplate, "--dtype", dtype};
  args.insert(args.end(), extra.begin(), extra.end());
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    int in = open(input.c_str(), O_RDONLY);
    dup2(in, STDIN_FILENO);
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::vector<double> line_times;
  std::string output;
  char buffer[65536];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
    double t = since(start);
    output.append(buffer, static_cast<size_t>(n));
    for (ssize_t i = 0; i < n; ++i)
      if (buffer[i] == '\n') line_times.push_back(t);
  }
  close(pipe_fds[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  CliRun run;
  run.total_s = since(start);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || line_times.size() != emails)
    throw std::runtime_error("CLI run failed (exit status " + std::to_string(WEXITSTATUS(status)) + ", " +
                             std::to_string(line_times.size()) + " lines for " + std::to_string(emails) + " emails)");
  // The first batch's lines arrive together; everything after it is steady-state work.
  const size_t first_batch = std::count(line_times.begin(), line_times.end(), line_times.front());
  const double steady_s = line_times.back() - line_times.front();
  run.first_output_s = line_times.front();
  run.after_load_emails_per_s = steady_s > 0 ? (emails - first_batch) / steady_s : 0.0;
  run.peak_rss_mb = usage.ru_maxrss / 1024.0;
  size_t at = 0;
  for (size_t nl; (nl = output.find('\n', at)) != std::string::npos; at = nl + 1)
    run.results.push_back(json::parse(output.substr(at, nl - at)));
  return run;
}

// Score of each label per email, from the CLI's JSON lines.
std::vector<std::map<std::string, double>> scores_of(const std::vector<json>& results) {
  std::vector<std::map<std::string, double>> scores;
  for (const json& r : results) {
    std::map<std::string, double> s;
    for (size_t i = 0; i < r.at("labels").size(); ++i) s[r["labels"][i].get<std::string>()] = r["scores"][i].get<double>();
    scores.push_back(std::move(s));
  }
  return scores;
}

// Drift of `got` from `reference` (float32): max |Δscore|, and how many emails whose reference
// top-two gap exceeds 0.05 changed their top label order.
json drift(const std::vector<json>& reference, const std::vector<json>& got) {
  const auto ref = scores_of(reference), now = scores_of(got);
  double max_diff = 0;
  size_t decisive = 0, order_changed = 0;
  for (size_t e = 0; e < ref.size(); ++e) {
    for (const auto& [label, score] : ref[e]) max_diff = std::max(max_diff, std::fabs(score - now[e].at(label)));
    const json& r = reference[e];
    const double gap = r["scores"][0].get<double>() - r["scores"][1].get<double>();
    if (gap > 0.05) {
      ++decisive;
      if (got[e]["labels"][0] != r["labels"][0]) ++order_changed;
    }
  }
  return {{"max_abs_score_diff", max_diff}, {"emails_with_gap_over_0.05", decisive}, {"order_changed", order_changed}};
}

json summarize(const std::vector<double>& values) {
  return {{"min", *std::min_element(values.begin(), values.end())}, {"median", percentile(values, 0.5)},
          {"max", *std::max_element(values.begin(), values.end())}};
}

json bench_cli(const fs::path& cli, const fs::path& model_dir, const std::vector<std::string>& emails,
               const std::vector<std::string>& dtypes, int rounds, const std::vector<std::string>& extra) {
  fs::path input = fs::temp_directory_path() / ("lmpipe_zero_shot_emails_" + std::to_string(getpid()) + ".txt");
  {
    std::ofstream out(input);
    for (const auto& e : emails) out << e << "\n";
  }
  std::map<std::string, std::vector<CliRun>> runs;
  for (int round = 0; round < rounds; ++round)
    for (const auto& dtype : dtypes) {
      progress("CLI stdin, " + dtype + ", round " + std::to_string(round + 1) + "/" + std::to_string(rounds));
      runs[dtype].push_back(run_cli(cli, model_dir, input, emails.size(), dtype, extra));
    }
  fs::remove(input);
  const double weights = weight_mb(model_dir);
  json report = json::object();
  for (const auto& dtype : dtypes) {
    std::vector<double> total, with_load, after_load, first, rss;
    for (const CliRun& r : runs[dtype]) {
      total.push_back(r.total_s);
      with_load.push_back(emails.size() / r.total_s);
      after_load.push_back(r.after_load_emails_per_s);
      first.push_back(r.first_output_s);
      rss.push_back(r.peak_rss_mb);
    }
    json d = {{"total_s", summarize(total)},
              {"emails_per_s_with_load", summarize(with_load)},
              {"emails_per_s_after_load", summarize(after_load)},
              {"first_output_s", summarize(first)},
              {"peak_rss_mb", summarize(rss)},
              {"peak_rss_over_fp32_weights", *std::max_element(rss.begin(), rss.end()) / weights}};
    if (runs.count("float32")) d["drift_vs_float32"] = drift(runs["float32"].front().results, runs[dtype].front().results);
    report[dtype] = d;
  }
  return report;
}

json bench_pipeline(const lmpipe::ZeroShotClassificationPipeline& pipeline, const std::vector<std::string>& emails,
                    const std::vector<std::string>& labels) {
  progress(std::to_string(labels.size()) + " labels");
  lmpipe::ZeroShotOptions options{kTemplate, false};
  pipeline.classify(emails.front(), labels, options);  // warm-up
  auto start = Clock::now();
  auto results = pipeline.classify(emails, labels, options);
  double batched_s = since(start);
  if (results.size() != emails.size()) throw std::runtime_error("pipeline returned the wrong number of results");
  std::vector<double> latencies;
  start = Clock::now();
  for (const auto& email : emails) {
    auto one = Clock::now();
    pipeline.classify(email, labels, options);
    latencies.push_back(since(one));
  }
  double per_call_s = since(start);
  return {{"labels", labels.size()},
          {"emails", emails.size()},
          {"batched_emails_per_s", emails.size() / batched_s},
          {"per_call_emails_per_s", emails.size() / per_call_s},
          {"p50_ms", percentile(latencies, 0.50) * 1e3},
          {"p95_ms", percentile(latencies, 0.95) * 1e3}};
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

json bench_forward(const fs::path& model_dir, int runs, const lmpipe::LoadOptions& load) {
  progress("forward pass 2x16");
  auto start = Clock::now();
  auto model = lmpipe::load_sequence_classifier(model_dir, load);
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

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t comma; (comma = s.find(',', start)) != std::string::npos; start = comma + 1)
    parts.push_back(s.substr(start, comma - start));
  parts.push_back(s.substr(start));
  return parts;
}

void print_report(const json& report) {
  std::printf("threads %s, %d emails; pairs %.1f tokens on average, %.0f at most\n",
              report["threads"].get<std::string>().c_str(), report["emails"].get<int>(),
              report["pair_lengths"]["mean_tokens"].get<double>(), report["pair_lengths"]["max_tokens"].get<double>());
  if (report.contains("cli_stdin"))
    for (const auto& [dtype, d] : report["cli_stdin"].items()) {
      std::printf("CLI %-8s  total %.2f s (min; median %.2f): %.2f emails/s with load; after load %.2f emails/s "
                  "(max; median %.2f); first output %.2f s; peak RSS %.0f MB = %.2fx fp32 weights\n",
                  dtype.c_str(), d["total_s"]["min"].get<double>(), d["total_s"]["median"].get<double>(),
                  d["emails_per_s_with_load"]["max"].get<double>(), d["emails_per_s_after_load"]["max"].get<double>(),
                  d["emails_per_s_after_load"]["median"].get<double>(), d["first_output_s"]["min"].get<double>(),
                  d["peak_rss_mb"]["max"].get<double>(), d["peak_rss_over_fp32_weights"].get<double>());
      if (d.contains("drift_vs_float32"))
        std::printf("             drift vs float32: max |dscore| %.5f, top label changed in %d of %d emails with a "
                    "gap > 0.05\n",
                    d["drift_vs_float32"]["max_abs_score_diff"].get<double>(),
                    d["drift_vs_float32"]["order_changed"].get<int>(),
                    d["drift_vs_float32"]["emails_with_gap_over_0.05"].get<int>());
    }
  if (report.contains("pipeline")) {
    const json& p = report["pipeline"];
    std::printf("pipeline %s: load %.2f s (RSS after load %.0f MB)\n", p["dtype"].get<std::string>().c_str(),
                p["load_s"].get<double>(), p["rss_after_load_mb"].get<double>());
    for (const char* key : {"two_labels", "ten_labels"}) {
      const auto& r = p[key];
      std::printf("%2d labels: all emails in one call %.2f emails/s; one per call %.2f emails/s (p50 %.0f ms, p95 %.0f ms)\n",
                  r["labels"].get<int>(), r["batched_emails_per_s"].get<double>(),
                  r["per_call_emails_per_s"].get<double>(), r["p50_ms"].get<double>(), r["p95_ms"].get<double>());
    }
    std::printf("pipeline peak RSS %.0f MB\n", p["peak_rss_mb"].get<double>());
  }
  if (report.contains("forward_2x16")) {
    const auto& f = report["forward_2x16"];
    std::printf("forward 2x16 tokens: median %.1f ms, best %.1f ms (%d runs; model load %.2f s)\n",
                f["median_ms"].get<double>(), f["best_ms"].get<double>(), f["runs"].get<int>(),
                f["load_s"].get<double>());
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    fs::path model_dir, cli = LMPIPE_CLI_PATH;
    size_t email_count = 60;
    int forward_runs = 20, rounds = 3;
    bool as_json = false;
    std::string only, dtype = "float32";
    std::vector<std::string> dtypes = {"float32", "bfloat16", "int8"}, extra;
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      auto value = [&] {
        if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
        return std::string(argv[++i]);
      };
      if (arg == "--model") model_dir = value();
      else if (arg == "--emails") email_count = std::stoul(value());
      else if (arg == "--forward-runs") forward_runs = std::max(1, std::stoi(value()));
      else if (arg == "--rounds") rounds = std::max(1, std::stoi(value()));
      else if (arg == "--dtypes") dtypes = split_commas(value());
      else if (arg == "--dtype") dtype = value();
      else if (arg == "--cli") cli = value();
      else if (arg == "--only") only = value();
      else if (arg == "--json") as_json = true;
      else if (arg == "--") extra.assign(argv + i + 1, argv + argc), i = argc;
      else throw std::runtime_error("unknown argument " + arg);
    }
    if (model_dir.empty()) throw std::runtime_error("--model DIR is required (make one with make_bart_large_mnli)");
    setenv("LMPIPE_NUM_THREADS", "2", 0);
    const auto emails = lmpipe::bench::mixed_length_emails(email_count);
    lmpipe::LoadOptions load;
    load.dtype = lmpipe::parse_weight_dtype(dtype);

    json report;
    report["threads"] = std::getenv("LMPIPE_NUM_THREADS");
    report["emails"] = emails.size();
    report["pair_lengths"] = pair_lengths(model_dir, emails);
    auto wanted = [&](const char* section) { return only.empty() || only == section; };
    // The CLI goes first: a forked child's ru_maxrss starts from the parent's RSS at fork.
    if (wanted("cli")) report["cli_stdin"] = bench_cli(cli, model_dir, emails, dtypes, rounds, extra);
    if (wanted("pipeline")) {
      progress("loading the pipeline (" + dtype + ")");
      json p;
      p["dtype"] = dtype;
      auto start = Clock::now();
      lmpipe::ZeroShotClassificationPipeline pipeline(model_dir, load);
      p["load_s"] = since(start);
      p["rss_after_load_mb"] = current_rss_mb();
      p["two_labels"] = bench_pipeline(pipeline, emails, kTwoLabels);
      p["ten_labels"] = bench_pipeline(pipeline, emails, kTenLabels);
      p["peak_rss_mb"] = peak_rss_mb();
      report["pipeline"] = p;
    }
    if (wanted("forward")) report["forward_2x16"] = bench_forward(model_dir, forward_runs, load);

    if (as_json)
      std::cout << report.dump() << "\n";
    else
      print_report(report);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zero_shot_bench: %s\n", e.what());
    return 1;
  }
}
