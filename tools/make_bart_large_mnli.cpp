// Writes a random-weight stand-in for facebook/bart-large-mnli (which cannot be downloaded here)
// for the benchmarks: the real shapes, key names (those of the tiny-bart-mnli golden, which
// mirrors the Hub checkpoint), config.json and tokenizer files, so load time, memory and speed
// are those of the real model. Weights: normal(0, 0.02) from a fixed seed, LayerNorm weights 1,
// biases 0. The safetensors file is streamed tensor by tensor (one chunk in memory at a time).
//
// Usage: make_bart_large_mnli [OUT_DIR] [--tokenizer-from DIR]
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "random_checkpoint.h"

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace lmpipe::tools;

namespace {

constexpr int64_t kDModel = 1024, kFfn = 4096, kLayers = 12, kVocab = 50265, kPositions = 1024 + 2;
constexpr int64_t kLabels = 3;
constexpr uint64_t kSeed = 20261126;

void add_attention(std::vector<TensorSpec>& specs, const std::string& prefix) {
  for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) add_linear(specs, prefix + "." + proj, kDModel, kDModel);
}

// BartForSequenceClassification's state dict as transformers saves it (shared embeddings
// stored once as model.shared.weight).
std::vector<TensorSpec> bart_large_mnli_tensors() {
  std::vector<TensorSpec> specs;
  add_linear(specs, "classification_head.dense", kDModel, kDModel);
  add_linear(specs, "classification_head.out_proj", kLabels, kDModel);
  specs.push_back({"model.shared.weight", {kVocab, kDModel}, Init::Normal});
  for (std::string stack : {"encoder", "decoder"}) {
    std::string base = "model." + stack;
    specs.push_back({base + ".embed_positions.weight", {kPositions, kDModel}, Init::Normal});
    add_layer_norm(specs, base + ".layernorm_embedding", kDModel);
    for (int64_t i = 0; i < kLayers; ++i) {
      std::string layer = base + ".layers." + std::to_string(i);
      add_attention(specs, layer + ".self_attn");
      add_layer_norm(specs, layer + ".self_attn_layer_norm", kDModel);
      if (stack == "decoder") {
        add_attention(specs, layer + ".encoder_attn");
        add_layer_norm(specs, layer + ".encoder_attn_layer_norm", kDModel);
      }
      add_linear(specs, layer + ".fc1", kFfn, kDModel);
      add_linear(specs, layer + ".fc2", kDModel, kFfn);
      add_layer_norm(specs, layer + ".final_layer_norm", kDModel);
    }
  }
  return specs;
}

// facebook/bart-large-mnli's config.json values.
json bart_large_mnli_config() {
  return json::parse(R"({
  "_name_or_path": "bart-large-mnli",
  "_num_labels": 3,
  "activation_dropout": 0.0,
  "activation_function": "gelu",
  "add_final_layer_norm": false,
  "architectures": ["BartForSequenceClassification"],
  "attention_dropout": 0.0,
  "bos_token_id": 0,
  "classif_dropout": 0.0,
  "classifier_dropout": 0.0,
  "d_model": 1024,
  "decoder_attention_heads": 16,
  "decoder_ffn_dim": 4096,
  "decoder_layerdrop": 0.0,
  "decoder_layers": 12,
  "decoder_start_token_id": 2,
  "dropout": 0.1,
  "encoder_attention_heads": 16,
  "encoder_ffn_dim": 4096,
  "encoder_layerdrop": 0.0,
  "encoder_layers": 12,
  "eos_token_id": 2,
  "forced_eos_token_id": 2,
  "gradient_checkpointing": false,
  "id2label": {"0": "contradiction", "1": "neutral", "2": "entailment"},
  "init_std": 0.02,
  "is_encoder_decoder": true,
  "label2id": {"contradiction": 0, "entailment": 2, "neutral": 1},
  "max_position_embeddings": 1024,
  "model_type": "bart",
  "normalize_before": false,
  "num_hidden_layers": 12,
  "output_past": false,
  "pad_token_id": 1,
  "scale_embedding": false,
  "transformers_version": "4.7.0.dev0",
  "vocab_size": 50265
})");
}

void copy_tokenizer(const fs::path& from, const fs::path& to) {
  fs::copy_file(from / "tokenizer.json", to / "tokenizer.json", fs::copy_options::overwrite_existing);
  std::ifstream in(from / "tokenizer_config.json");
  if (!in) throw std::runtime_error("cannot read " + (from / "tokenizer_config.json").string());
  json config = json::parse(in);
  config["model_max_length"] = 1024;
  std::ofstream(to / "tokenizer_config.json") << config.dump(2) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  try {
    fs::path out_dir, tokenizer_from = LMPIPE_TINY_BART_MNLI_DIR;
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--tokenizer-from" && i + 1 < argc) {
        tokenizer_from = argv[++i];
      } else if (arg == "-h" || arg == "--help") {
        std::cout << "usage: make_bart_large_mnli [OUT_DIR] [--tokenizer-from DIR]\n";
        return 0;
      } else if (out_dir.empty() && !arg.starts_with("-")) {
        out_dir = arg;
      } else {
        std::cerr << "make_bart_large_mnli: unexpected argument '" << arg << "'\n";
        return 2;
      }
    }
    if (out_dir.empty()) out_dir = fs::temp_directory_path() / "lmpipe-bart-large-mnli";
    fs::create_directories(out_dir);

    auto specs = bart_large_mnli_tensors();
    int64_t params = 0;
    for (const auto& spec : specs) params += spec.numel();
    write_safetensors(out_dir / "model.safetensors", specs, kSeed);
    std::ofstream(out_dir / "config.json") << bart_large_mnli_config().dump(2) << "\n";
    copy_tokenizer(tokenizer_from, out_dir);
    std::cout << out_dir.string() << ": " << specs.size() << " tensors, " << params << " parameters, "
              << fs::file_size(out_dir / "model.safetensors") << " bytes\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "make_bart_large_mnli: " << e.what() << "\n";
    return 1;
  }
}
