// Encoder-family speed on random-weight stand-ins of real models (tools/make_encoder_models; see
// bench/run_encoder_bench.sh and BENCHMARKS.md):
//  - sentence embeddings with all-MiniLM-L6-v2 shapes: 256 sentences of 16-40 tokens (special
//    tokens included, uniform, fixed seed), SentenceTransformer::encode with batches of 32
//    (sorted by length, as sentence-transformers does), mean pooling + Normalize: sentences/s,
//    median of N passes after one warm-up pass;
//  - fill-mask with bert-base-uncased shapes: one FillMaskPipeline::fill call on a 16-token input
//    with one mask (tokenize, forward, vocabulary projection at the mask, top 5, decode): median
//    and p90 of N calls after warm-up; and the model's forward alone (MaskedLM::logits_at).
//
//   encoder_bench --minilm DIR --bert-base DIR [--runs N] [--calls N] [--json]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lmpipe/fill_mask.h"
#include "lmpipe/sentence_embeddings.h"
#include "lmpipe/tokenizer.h"
#include "models/model.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

// User + system CPU seconds of the process so far. On a loaded machine the wall clock measures the
// scheduler; the CPU time of a 1-thread run still measures the work (see BENCHMARKS.md).
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + 1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

const std::vector<std::string> kWords = {
    "the", "market", "report", "growth", "team", "project", "customer", "service", "delivery", "analysis",
    "results", "however", "significant", "increase", "management", "we", "they", "will", "should", "meeting",
    "schedule", "tomorrow", "because", "research", "university", "policy", "climate", "energy", "railway",
    "weather", "city", "river", "morning", "evening", "people", "new", "old", "quickly", "small", "large",
    "music", "history", "science", "water", "station", "children", "garden", "kitchen", "window", "summer"};

// `count` sentences whose token counts (with [CLS]/[SEP]) are uniform in [lo, hi].
std::vector<std::string> sentences(const lmpipe::Tokenizer& tokenizer, size_t count, size_t lo, size_t hi) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<size_t> length(lo, hi);
  std::uniform_int_distribution<size_t> word(0, kWords.size() - 1);
  std::vector<std::string> out;
  while (out.size() < count) {
    const size_t target = length(rng);
    std::string s;
    while (tokenizer.encode(s + " " + kWords[0]).size() <= target) s += (s.empty() ? "" : " ") + kWords[word(rng)];
    if (tokenizer.encode(s).size() == target) out.push_back(s + ".");  // "." keeps the count: one more token, replacing none
  }
  return out;
}

nlohmann::json bench_embeddings(const fs::path& dir, int runs) {
  std::fprintf(stderr, "encoder_bench: sentence embeddings\n");
  auto start = Clock::now();
  const lmpipe::SentenceTransformer model(dir);
  const double load_s = since(start);
  const auto texts = sentences(lmpipe::Tokenizer::from_dir(dir), 256, 15, 39);  // + "." -> 16..40 tokens
  lmpipe::SentenceEmbeddingOptions options;
  options.batch_size = 32;
  size_t tokens = 0;
  const lmpipe::Tokenizer tokenizer = lmpipe::Tokenizer::from_dir(dir);
  for (const auto& t : texts) tokens += tokenizer.encode(t).size();
  model.encode(texts, options);  // warm-up
  std::vector<double> times, cpu;
  for (int i = 0; i < runs; ++i) {
    auto one = Clock::now();
    const double cpu_start = cpu_seconds();
    const auto vectors = model.encode(texts, options);
    times.push_back(since(one));
    cpu.push_back(cpu_seconds() - cpu_start);
    if (vectors.size() != texts.size()) throw std::runtime_error("wrong number of embeddings");
  }
  const double median = percentile(times, 0.5), best = *std::min_element(times.begin(), times.end());
  return {{"sentences", texts.size()},
          {"tokens", tokens},
          {"load_s", load_s},
          {"runs", runs},
          {"median_s", median},
          {"sentences_per_s_median", texts.size() / median},
          {"sentences_per_s_best", texts.size() / best},
          {"sentences_per_cpu_s", texts.size() / percentile(cpu, 0.5)}};
}

// "[MASK]" and filler words up to exactly 16 tokens with [CLS] and [SEP].
std::string sixteen_token_input(const lmpipe::Tokenizer& tokenizer) {
  std::string text = "the capital of france is [MASK] and";
  for (size_t i = 0; tokenizer.encode(text).size() < 16; ++i) text += " " + kWords[i % kWords.size()];
  if (tokenizer.encode(text).size() != 16) throw std::runtime_error("could not build a 16-token input");
  return text;
}

nlohmann::json bench_fill_mask(const fs::path& dir, int calls) {
  std::fprintf(stderr, "encoder_bench: fill-mask\n");
  auto start = Clock::now();
  const lmpipe::FillMaskPipeline unmasker(dir);
  const double load_s = since(start);
  const lmpipe::Tokenizer tokenizer = lmpipe::Tokenizer::from_dir(dir);
  const std::string text = sixteen_token_input(tokenizer);
  for (int i = 0; i < 3; ++i) unmasker.fill(text);  // warm-up
  std::vector<double> times, cpu;
  for (int i = 0; i < calls; ++i) {
    auto one = Clock::now();
    const double cpu_start = cpu_seconds();
    unmasker.fill(text);
    times.push_back(since(one));
    cpu.push_back(cpu_seconds() - cpu_start);
  }
  // The model alone: encoder and the vocabulary projection at the one mask.
  const auto model = lmpipe::load_masked_lm(dir);
  const lmpipe::Encoding e = tokenizer.encode(text);
  lmpipe::Batch batch{1, 16, e.ids, e.attention_mask, e.type_ids};
  const int64_t mask = std::find(e.ids.begin(), e.ids.end(), *tokenizer.mask_token_id()) - e.ids.begin();
  for (int i = 0; i < 3; ++i) model->logits_at(batch, {mask});
  std::vector<double> forward;
  for (int i = 0; i < calls; ++i) {
    auto one = Clock::now();
    model->logits_at(batch, {mask});
    forward.push_back(since(one));
  }
  return {{"tokens", 16},
          {"load_s", load_s},
          {"calls", calls},
          {"call_median_ms", percentile(times, 0.5) * 1e3},
          {"call_p90_ms", percentile(times, 0.9) * 1e3},
          {"call_best_ms", *std::min_element(times.begin(), times.end()) * 1e3},
          {"call_cpu_median_ms", percentile(cpu, 0.5) * 1e3},
          {"forward_median_ms", percentile(forward, 0.5) * 1e3}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    fs::path minilm, bert_base;
    int runs = 5, calls = 30;
    bool as_json = false;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--minilm" && i + 1 < argc) minilm = argv[++i];
      else if (arg == "--bert-base" && i + 1 < argc) bert_base = argv[++i];
      else if (arg == "--runs" && i + 1 < argc) runs = std::stoi(argv[++i]);
      else if (arg == "--calls" && i + 1 < argc) calls = std::stoi(argv[++i]);
      else if (arg == "--json") as_json = true;
      else {
        std::cerr << "usage: encoder_bench [--minilm DIR] [--bert-base DIR] [--runs N] [--calls N] [--json]\n";
        return 2;
      }
    }
    nlohmann::json out;
    if (!minilm.empty()) out["sentence_embeddings"] = bench_embeddings(minilm, runs);
    if (!bert_base.empty()) out["fill_mask"] = bench_fill_mask(bert_base, calls);
    out["peak_rss_mb"] = peak_rss_mb();
    if (as_json) {
      std::cout << out.dump() << "\n";
    } else {
      if (out.contains("sentence_embeddings")) {
        const auto& s = out["sentence_embeddings"];
        std::printf("sentence embeddings (all-MiniLM-L6-v2 shapes, %d sentences, %d tokens, batch 32): "
                    "%.0f sentences/s median, %.0f best, %.0f per CPU-second (load %.2f s)\n",
                    s["sentences"].get<int>(), s["tokens"].get<int>(), s["sentences_per_s_median"].get<double>(),
                    s["sentences_per_s_best"].get<double>(), s["sentences_per_cpu_s"].get<double>(),
                    s["load_s"].get<double>());
      }
      if (out.contains("fill_mask")) {
        const auto& f = out["fill_mask"];
        std::printf("fill-mask (bert-base-uncased shapes, 16 tokens): call %.2f ms median, %.2f p90, %.2f best, "
                    "%.2f CPU ms; forward %.2f ms median (load %.2f s)\n",
                    f["call_median_ms"].get<double>(), f["call_p90_ms"].get<double>(), f["call_best_ms"].get<double>(),
                    f["call_cpu_median_ms"].get<double>(), f["forward_median_ms"].get<double>(), f["load_s"].get<double>());
      }
      std::printf("peak RSS %.0f MB\n", out["peak_rss_mb"].get<double>());
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "encoder_bench: " << e.what() << "\n";
    return 1;
  }
}
