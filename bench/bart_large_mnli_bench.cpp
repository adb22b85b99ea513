// BartForSequenceClassification at facebook/bart-large-mnli's size (random weights, written once to
// a temp directory as model.safetensors): the zero-shot hot path, 2 pairs x 16 tokens.
// Counters: peak_rss_MiB / rss_MiB after loading, against the fp32 weight size weights_MiB.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "models/model.h"
#include "util/json.h"

namespace {

using lmpipe::json;

// config.json of facebook/bart-large-mnli, the fields the model reads.
json bart_large_mnli_config() {
  return json{{"architectures", {"BartForSequenceClassification"}},
              {"model_type", "bart"},
              {"activation_function", "gelu"},
              {"d_model", 1024},
              {"encoder_layers", 12},
              {"decoder_layers", 12},
              {"encoder_attention_heads", 16},
              {"decoder_attention_heads", 16},
              {"encoder_ffn_dim", 4096},
              {"decoder_ffn_dim", 4096},
              {"max_position_embeddings", 1024},
              {"vocab_size", 50265},
              {"scale_embedding", false},
              {"pad_token_id", 1},
              {"eos_token_id", 2},
              {"decoder_start_token_id", 2},
              {"id2label", {{"0", "contradiction"}, {"1", "neutral"}, {"2", "entailment"}}},
              {"label2id", {{"contradiction", 0}, {"neutral", 1}, {"entailment", 2}}}};
}

// Every tensor of the checkpoint with its shape, in the checkpoint's key names.
std::vector<std::pair<std::string, std::vector<int64_t>>> bart_tensors(const json& c) {
  const int64_t d = c["d_model"], ffn = c["encoder_ffn_dim"], V = c["vocab_size"], P = int64_t(c["max_position_embeddings"]) + 2;
  std::vector<std::pair<std::string, std::vector<int64_t>>> t = {{"model.shared.weight", {V, d}}};
  auto linear = [&](const std::string& name, int64_t out, int64_t in) {
    t.push_back({name + ".weight", {out, in}});
    t.push_back({name + ".bias", {out}});
  };
  auto norm = [&](const std::string& name) {
    t.push_back({name + ".weight", {d}});
    t.push_back({name + ".bias", {d}});
  };
  for (const std::string part : {"encoder", "decoder"}) {
    const std::string p = "model." + part;
    t.push_back({p + ".embed_positions.weight", {P, d}});
    norm(p + ".layernorm_embedding");
    for (int i = 0; i < 12; ++i) {
      const std::string l = p + ".layers." + std::to_string(i);
      std::vector<std::string> attns = {"self_attn"};
      if (part == "decoder") attns.push_back("encoder_attn");
      for (const auto& a : attns) {
        for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) linear(l + "." + a + "." + proj, d, d);
        norm(l + "." + a + "_layer_norm");
      }
      linear(l + ".fc1", ffn, d);
      linear(l + ".fc2", d, ffn);
      norm(l + ".final_layer_norm");
    }
  }
  linear("classification_head.dense", d, d);
  linear("classification_head.out_proj", 3, d);
  return t;
}

int64_t numel(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

// Writes config.json and a random model.safetensors (LayerNorms 1/0, the rest uniform in ±0.05).
std::filesystem::path prepare_model() {
  const auto dir = std::filesystem::temp_directory_path() / "lmpipe_bench_bart_large_mnli";
  const json config = bart_large_mnli_config();
  const auto tensors = bart_tensors(config);
  json header = json::object();
  int64_t offset = 0;
  for (const auto& [name, shape] : tensors) {
    const int64_t bytes = numel(shape) * 4;
    header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string head = header.dump();
  head.resize((head.size() + 7) / 8 * 8, ' ');
  const auto file = dir / "model.safetensors";
  const auto expected_size = static_cast<std::uintmax_t>(8 + head.size() + offset);
  if (std::filesystem::exists(file) && std::filesystem::file_size(file) == expected_size) return dir;

  std::filesystem::create_directories(dir);
  std::ofstream(dir / "config.json") << config.dump(2);
  std::ofstream out(file, std::ios::binary);
  const uint64_t head_size = head.size();
  out.write(reinterpret_cast<const char*>(&head_size), 8);
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  // Small chunks, so that writing does not raise this process's peak RSS.
  uint32_t state = 12345;
  std::vector<float> chunk(1 << 16);
  for (const auto& [name, shape] : tensors) {
    const bool is_norm = name.find("norm") != std::string::npos || name.find("layernorm") != std::string::npos;
    const bool is_weight = name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
    for (int64_t left = numel(shape); left > 0; left -= static_cast<int64_t>(chunk.size())) {
      const size_t n = static_cast<size_t>(std::min<int64_t>(left, static_cast<int64_t>(chunk.size())));
      for (size_t i = 0; i < n; ++i) {
        if (is_norm) {
          chunk[i] = is_weight ? 1.0f : 0.0f;
        } else {
          state = state * 1664525u + 1013904223u;
          chunk[i] = (static_cast<float>(state >> 8) / 16777216.0f - 0.5f) * 0.1f;
        }
      }
      out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(n * 4));
    }
  }
  return dir;
}

double status_mib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(std::string(field).size())) / 1024.0;
  return 0;
}

// 2 premise/hypothesis pairs x 16 tokens, 3 </s> per row like the tokenizer's pair template.
lmpipe::Batch two_pairs() {
  lmpipe::Batch batch;
  batch.batch = 2;
  batch.seq_len = 16;
  for (int r = 0; r < 2; ++r)
    for (int t = 0; t < 16; ++t) {
      const bool eos = t == 7 || t == 8 || t == 15;
      batch.input_ids.push_back(t == 0 ? 0 : eos ? 2 : 1000 + 37 * t + r);
      batch.attention_mask.push_back(1);
    }
  return batch;
}

void BM_BartLargeMnliClassify2x16(benchmark::State& state) {
  const auto dir = prepare_model();
  const auto model = lmpipe::load_sequence_classifier(dir);
  state.counters["peak_rss_MiB"] = status_mib("VmHWM:");
  state.counters["rss_MiB"] = status_mib("VmRSS:");
  state.counters["weights_MiB"] = static_cast<double>(std::filesystem::file_size(dir / "model.safetensors")) / (1 << 20);
  const lmpipe::Batch batch = two_pairs();
  for (auto _ : state) benchmark::DoNotOptimize(model->classify(batch));
}
BENCHMARK(BM_BartLargeMnliClassify2x16)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
