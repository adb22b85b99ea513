// Tokenizer throughput on a mixed-language corpus: BPE (bart), WordPiece (bert-base-uncased) and
// Unigram (t5), one text at a time on one thread and encode_batch across LMPIPE_NUM_THREADS.
// The protocol (1 warm-up pass, then --runs timed passes over the whole corpus, median kept) is
// the one bench/peer/tokenizers_peer.mjs follows, so bench/run_tokenizer_bench.sh can compare.
//
//   tokenizer_bench --write-corpus FILE     writes the corpus (JSON lines) and exits
//   tokenizer_bench [--corpus FILE] [--runs N] [--only NAME] [--json]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "lmpipe/tokenizer.h"
#include "mixed_corpus.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr size_t kCorpusBytes = 4u << 20;

struct Totals {
  size_t tokens = 0;
  uint32_t checksum = 2166136261u;  // FNV-1a over every id, in corpus order
  void add(const lmpipe::Encoding& encoding) {
    tokens += encoding.size();
    for (int32_t id : encoding.ids) checksum = (checksum ^ static_cast<uint32_t>(id)) * 16777619u;
  }
};

std::vector<std::string> read_corpus(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read corpus " + file.string());
  std::vector<std::string> docs;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) docs.push_back(nlohmann::json::parse(line).get<std::string>());
  return docs;
}

void write_corpus(const fs::path& file, const std::vector<std::string>& docs) {
  std::ofstream out(file);
  for (const auto& doc : docs) out << nlohmann::json(doc).dump() << "\n";
  if (!out) throw std::runtime_error("cannot write corpus " + file.string());
}

int num_threads() {
  if (const char* env = std::getenv("LMPIPE_NUM_THREADS")) return std::max(1, std::atoi(env));
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

struct Measurement {
  Totals totals;
  std::vector<double> seconds;
  double median() const {
    auto sorted = seconds;
    std::sort(sorted.begin(), sorted.end());
    return sorted[sorted.size() / 2];
  }
  double best() const { return *std::min_element(seconds.begin(), seconds.end()); }
};

// One warm-up pass (which also yields the parity totals), then `runs` timed passes.
Measurement measure(int runs, const std::function<Totals()>& pass) {
  Measurement m;
  m.totals = pass();
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    Totals t = pass();
    m.seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    if (t.tokens != m.totals.tokens) throw std::runtime_error("token count changed between passes");
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    fs::path corpus_file;
    std::string only;
    int runs = 5;
    bool as_json = false;
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      auto value = [&] {
        if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
        return std::string(argv[++i]);
      };
      if (arg == "--write-corpus") {
        write_corpus(value(), lmpipe::bench::mixed_corpus(kCorpusBytes));
        return 0;
      } else if (arg == "--corpus") {
        corpus_file = value();
      } else if (arg == "--runs") {
        runs = std::max(1, std::stoi(value()));
      } else if (arg == "--only") {
        only = value();
      } else if (arg == "--json") {
        as_json = true;
      } else {
        throw std::runtime_error("unknown argument " + arg);
      }
    }
    auto docs = corpus_file.empty() ? lmpipe::bench::mixed_corpus(kCorpusBytes) : read_corpus(corpus_file);
    size_t bytes = 0;
    for (const auto& d : docs) bytes += d.size();
    if (!as_json)
      std::printf("corpus: %zu docs, %.2f MB; %d timed runs after 1 warm-up, median kept\n", docs.size(), bytes / 1e6, runs);

    const fs::path tokenizers = fs::path(LMPIPE_SOURCE_DIR) / "tests/fixtures/goldens/tokenizers";
    for (const std::string name : {"bart", "bert-base-uncased", "t5"}) {
      if (!only.empty() && only != name) continue;
      auto load_start = Clock::now();
      auto tokenizer = lmpipe::Tokenizer::from_dir(tokenizers / name);
      double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();

      auto single = measure(runs, [&] {
        Totals t;
        for (const auto& doc : docs) t.add(tokenizer.encode(doc));
        return t;
      });
      auto batch = measure(runs, [&] {
        Totals t;
        for (const auto& e : tokenizer.encode_batch(docs)) t.add(e);
        return t;
      });
      for (auto [mode, m, threads] : {std::tuple{"encode", &single, 1}, std::tuple{"encode_batch", &batch, num_threads()}}) {
        double s = m->median();
        if (as_json) {
          nlohmann::json row = {{"impl", "lmpipe"}, {"tokenizer", name}, {"mode", mode}, {"threads", threads},
                                {"docs", docs.size()}, {"bytes", bytes}, {"tokens", m->totals.tokens},
                                {"checksum", m->totals.checksum}, {"seconds", m->seconds}, {"median_s", s},
                                {"best_s", m->best()}, {"load_s", load_s}};
          std::cout << row.dump() << "\n";
        } else {
          std::printf("%-18s %-13s %d thr  %8.2f MB/s  %10.0f tokens/s  (median %.3f s, best %.3f s, %zu tokens, load %.0f ms)\n",
                      name.c_str(), mode, threads, bytes / s / 1e6, m->totals.tokens / s, s, m->best(),
                      m->totals.tokens, load_s * 1e3);
        }
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tokenizer_bench: %s\n", e.what());
    return 1;
  }
}
