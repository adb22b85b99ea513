// Throughput of the tokenization models alone on pre-tokenized words: BPE (GPT-2 vocabulary),
// WordPiece (BERT), Unigram (XLM-R test vocabulary). "Fresh" words defeat the word cache.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "tokenizers/model.h"
#include "util/json.h"

namespace {

using namespace lmpipe;

// Run from the repository root, or set LMPIPE_FIXTURES to tests/fixtures.
std::unique_ptr<tok::Model> load(const std::string& name) {
  const char* env = std::getenv("LMPIPE_FIXTURES");
  std::string root = env ? env : "tests/fixtures";
  json tj = read_json_file(root + "/goldens/tokenizers/" + name + "/tokenizer.json");
  return tok::model_from_json(tj.at("model"), name);
}

// Random lower-case words of 3-10 letters, each prefixed by `prefix`.
std::vector<std::string> words(size_t n, const std::string& prefix, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    std::string w = prefix;
    size_t len = 3 + rng() % 8;
    for (size_t k = 0; k < len; ++k) w += static_cast<char>('a' + rng() % 26);
    out.push_back(w);
  }
  return out;
}

void run(benchmark::State& state, const std::string& model_name, const std::string& prefix, bool fresh) {
  auto model = load(model_name);
  unsigned seed = 1;
  std::vector<std::string> batch = words(4096, prefix, seed);
  size_t n = 0;
  for (auto _ : state) {
    if (fresh) {
      state.PauseTiming();
      batch = words(4096, prefix, ++seed);
      state.ResumeTiming();
    }
    for (const std::string& w : batch) benchmark::DoNotOptimize(model->tokenize(w));
    n += batch.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(n));
}

void BM_BpeGpt2Cached(benchmark::State& s) { run(s, "gpt2", "\xC4\xA0", false); }
void BM_BpeGpt2Fresh(benchmark::State& s) { run(s, "gpt2", "\xC4\xA0", true); }
void BM_WordPieceBert(benchmark::State& s) { run(s, "bert-base-uncased", "", false); }
void BM_UnigramXlmrCached(benchmark::State& s) { run(s, "xlm-roberta", "\xE2\x96\x81", false); }
void BM_UnigramXlmrFresh(benchmark::State& s) { run(s, "xlm-roberta", "\xE2\x96\x81", true); }
BENCHMARK(BM_BpeGpt2Cached);
BENCHMARK(BM_BpeGpt2Fresh);
BENCHMARK(BM_WordPieceBert);
BENCHMARK(BM_UnigramXlmrCached);
BENCHMARK(BM_UnigramXlmrFresh);

}  // namespace

BENCHMARK_MAIN();
