// Generation speed on random-weight models of real shapes (tools/make_generation_model; see
// bench/run_generation_bench.sh and BENCHMARKS.md). Inputs are random token ids (seeded); eos is
// held off with min_new_tokens so every run generates the same number of tokens.
//
//   generation_bench --model DIR --case CASE [--runs N] [--dtype float32|bfloat16|int8]
//   CASE: gpt2-decode   32-token prompt, greedy, 128 new tokens (tokens/s, and decode-only tokens/s)
//         gpt2-prefill  512-token prompt, one new token (prompt tokens/s)
//         t5-greedy     128-token input, greedy, 128 new tokens (tokens/s)
//         bart-cnn      512-token input, the model's generation config (4 beams, length penalty 2,
//                       no_repeat_ngram 3), 60 new tokens (seconds)
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "generation/generate.h"
#include "models/generative.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace lmpipe;

struct Case {
  int64_t input_tokens, new_tokens;
  json kwargs;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// Seconds of one generate() call; adds its CPU seconds (all threads) to *cpu.
double time_generate(const GenerativeModel& model, const GenerationConfig& model_config, int64_t input_tokens,
                     const json& kwargs, double* cpu = nullptr) {
  generation::GenerateRequest request;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> token(10, static_cast<int32_t>(std::min<int64_t>(model.vocab_size(), 30000)) - 1);
  request.inputs.batch = 1;
  request.inputs.seq_len = input_tokens;
  for (int64_t i = 0; i < input_tokens; ++i) request.inputs.input_ids.push_back(token(rng));
  request.model_config = model_config;
  request.kwargs = GenerationConfig::from_json(kwargs, "bench", true);
  const double cpu_start = cpu_seconds();
  const auto start = Clock::now();
  generation::generate(model, request);
  if (cpu) *cpu += cpu_seconds() - cpu_start;
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_dir, name, dtype = "float32";
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--model") model_dir = argv[i + 1];
    else if (arg == "--case") name = argv[i + 1];
    else if (arg == "--runs") runs = std::max(1, std::atoi(argv[i + 1]));
    else if (arg == "--dtype") dtype = argv[i + 1];
  }
  const json greedy = {{"do_sample", false}, {"num_beams", 1}};
  Case c;
  if (name == "gpt2-decode") c = {32, 128, greedy};
  else if (name == "gpt2-prefill") c = {512, 1, greedy};
  else if (name == "t5-greedy") c = {128, 128, greedy};
  else if (name == "bart-cnn") c = {512, 60, {{"num_beams", 4}, {"no_repeat_ngram_size", 3}}};
  if (model_dir.empty() || c.input_tokens == 0) {
    std::fprintf(stderr,
                 "usage: generation_bench --model DIR --case gpt2-decode|gpt2-prefill|t5-greedy|bart-cnn [--runs N]"
                 " [--dtype float32|bfloat16|int8]\n");
    return 2;
  }
  try {
    auto start = Clock::now();
    LoadOptions options;
    options.dtype = parse_weight_dtype(dtype);
    const auto model = load_generative_model(model_dir, options);
    const GenerationConfig model_config = GenerationConfig::load(model_dir);
    const double load = std::chrono::duration<double>(Clock::now() - start).count();
    json kwargs = c.kwargs;
    kwargs["max_new_tokens"] = c.new_tokens;
    kwargs["min_new_tokens"] = c.new_tokens;
    time_generate(*model, model_config, c.input_tokens, kwargs);  // warm-up (primitive creation, page faults)
    std::vector<double> times;
    double cpu = 0;
    for (int r = 0; r < runs; ++r) times.push_back(time_generate(*model, model_config, c.input_tokens, kwargs, &cpu));
    const double t = median(times);
    // CPU seconds per run next to the wall time show how much the machine was shared.
    std::printf("%s (%s): load %.2f s; median of %d runs: %.3f s (CPU %.3f s per run)", name.c_str(), dtype.c_str(),
                load, runs, t, cpu / runs);
    if (name == "gpt2-prefill") {
      std::printf(", %.0f prompt tokens/s\n", c.input_tokens / t);
    } else if (name == "bart-cnn") {
      std::printf(" for %lld new tokens x 4 beams\n", static_cast<long long>(c.new_tokens));
    } else {
      // The first token costs the prefill; the others are decode steps.
      json first = kwargs;
      first["max_new_tokens"] = 1;
      first["min_new_tokens"] = 1;
      std::vector<double> prefill;
      for (int r = 0; r < runs; ++r) prefill.push_back(time_generate(*model, model_config, c.input_tokens, first));
      std::printf(", %.1f tokens/s; decode only: %.1f tokens/s (first token %.3f s)\n", c.new_tokens / t,
                  (c.new_tokens - 1) / (t - median(prefill)), median(prefill));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "generation_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
