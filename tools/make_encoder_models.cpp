// Writes random-weight stand-ins of two encoder models (which cannot be downloaded here) for the
// benchmarks, with their real shapes, key names, config.json and bert-base-uncased tokenizer, so
// load time, memory and speed are those of the real models:
//  - minilm: sentence-transformers/all-MiniLM-L6-v2 (BertModel 6 x 384, 12 heads, FFN 1536, vocab
//    30522; modules.json with mean Pooling and Normalize, max_seq_length 256), 90 MB;
//  - bert-base: google-bert/bert-base-uncased as BertForMaskedLM (12 x 768, pooler, MLM and NSP
//    heads, decoder tied to the word embeddings), 440 MB.
//
// Usage: make_encoder_models minilm|bert-base OUT_DIR [--tokenizer-from DIR]
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "random_checkpoint.h"

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace lmpipe::tools;

namespace {

constexpr int64_t kVocab = 30522, kPositions = 512, kTypes = 2;
constexpr uint64_t kSeed = 20261127;

struct Shapes {
  int64_t hidden, layers, heads, ffn;
};

// BertModel's state dict under `prefix` ("" for a bare BertModel as sentence-transformers saves it).
std::vector<TensorSpec> bert_tensors(const Shapes& s, const std::string& prefix) {
  std::vector<TensorSpec> specs;
  const std::string emb = prefix + "embeddings.";
  specs.push_back({emb + "word_embeddings.weight", {kVocab, s.hidden}, Init::Normal});
  specs.push_back({emb + "position_embeddings.weight", {kPositions, s.hidden}, Init::Normal});
  specs.push_back({emb + "token_type_embeddings.weight", {kTypes, s.hidden}, Init::Normal});
  add_layer_norm(specs, emb + "LayerNorm", s.hidden);
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string layer = prefix + "encoder.layer." + std::to_string(i) + ".";
    for (const char* proj : {"query", "key", "value"}) add_linear(specs, layer + "attention.self." + proj, s.hidden, s.hidden);
    add_linear(specs, layer + "attention.output.dense", s.hidden, s.hidden);
    add_layer_norm(specs, layer + "attention.output.LayerNorm", s.hidden);
    add_linear(specs, layer + "intermediate.dense", s.ffn, s.hidden);
    add_linear(specs, layer + "output.dense", s.hidden, s.ffn);
    add_layer_norm(specs, layer + "output.LayerNorm", s.hidden);
  }
  add_linear(specs, prefix + "pooler.dense", s.hidden, s.hidden);
  return specs;
}

json bert_config(const Shapes& s, const std::string& architecture) {
  return json{{"architectures", {architecture}},
              {"attention_probs_dropout_prob", 0.1},
              {"hidden_act", "gelu"},
              {"hidden_dropout_prob", 0.1},
              {"hidden_size", s.hidden},
              {"initializer_range", 0.02},
              {"intermediate_size", s.ffn},
              {"layer_norm_eps", 1e-12},
              {"max_position_embeddings", kPositions},
              {"model_type", "bert"},
              {"num_attention_heads", s.heads},
              {"num_hidden_layers", s.layers},
              {"pad_token_id", 0},
              {"position_embedding_type", "absolute"},
              {"type_vocab_size", kTypes},
              {"vocab_size", kVocab}};
}

void write_json(const fs::path& file, const json& j) {
  fs::create_directories(file.parent_path());
  std::ofstream out(file);
  if (!(out << j.dump(2) << "\n")) throw std::runtime_error("cannot write " + file.string());
}

void copy_tokenizer(const fs::path& from, const fs::path& to) {
  fs::copy_file(from / "tokenizer.json", to / "tokenizer.json", fs::copy_options::overwrite_existing);
  std::ifstream in(from / "tokenizer_config.json");
  if (!in) throw std::runtime_error("cannot read " + (from / "tokenizer_config.json").string());
  json config = json::parse(in);
  config["model_max_length"] = kPositions;
  write_json(to / "tokenizer_config.json", config);
}

// sentence-transformers/all-MiniLM-L6-v2 as the Hub has it (module types and Pooling config in the
// pre-v5.4 spelling most repositories use).
std::vector<TensorSpec> write_minilm(const fs::path& dir) {
  const Shapes s{384, 6, 12, 1536};
  write_json(dir / "config.json", bert_config(s, "BertModel"));
  write_json(dir / "modules.json",
             json::array({{{"idx", 0}, {"name", "0"}, {"path", ""}, {"type", "sentence_transformers.models.Transformer"}},
                          {{"idx", 1}, {"name", "1"}, {"path", "1_Pooling"}, {"type", "sentence_transformers.models.Pooling"}},
                          {{"idx", 2}, {"name", "2"}, {"path", "2_Normalize"}, {"type", "sentence_transformers.models.Normalize"}}}));
  write_json(dir / "1_Pooling/config.json", {{"word_embedding_dimension", 384},
                                             {"pooling_mode_cls_token", false},
                                             {"pooling_mode_mean_tokens", true},
                                             {"pooling_mode_max_tokens", false},
                                             {"pooling_mode_mean_sqrt_len_tokens", false}});
  fs::create_directories(dir / "2_Normalize");
  write_json(dir / "sentence_bert_config.json", {{"max_seq_length", 256}, {"do_lower_case", false}});
  return bert_tensors(s, "");
}

// google-bert/bert-base-uncased: BertForPreTraining's weights, loaded as BertForMaskedLM.
std::vector<TensorSpec> write_bert_base(const fs::path& dir) {
  const Shapes s{768, 12, 12, 3072};
  write_json(dir / "config.json", bert_config(s, "BertForMaskedLM"));
  std::vector<TensorSpec> specs = bert_tensors(s, "bert.");
  add_linear(specs, "cls.predictions.transform.dense", s.hidden, s.hidden);
  add_layer_norm(specs, "cls.predictions.transform.LayerNorm", s.hidden);
  specs.push_back({"cls.predictions.bias", {kVocab}, Init::Zeros});
  add_linear(specs, "cls.seq_relationship", 2, s.hidden);
  return specs;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string which;
    fs::path out_dir, tokenizer_from = LMPIPE_TINY_BERT_DIR;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--tokenizer-from" && i + 1 < argc) {
        tokenizer_from = argv[++i];
      } else if (arg == "-h" || arg == "--help") {
        std::cout << "usage: make_encoder_models minilm|bert-base OUT_DIR [--tokenizer-from DIR]\n";
        return 0;
      } else if (which.empty()) {
        which = arg;
      } else if (out_dir.empty()) {
        out_dir = arg;
      } else {
        std::cerr << "make_encoder_models: unexpected argument '" << arg << "'\n";
        return 2;
      }
    }
    if ((which != "minilm" && which != "bert-base") || out_dir.empty()) {
      std::cerr << "usage: make_encoder_models minilm|bert-base OUT_DIR [--tokenizer-from DIR]\n";
      return 2;
    }
    fs::create_directories(out_dir);
    const std::vector<TensorSpec> specs = which == "minilm" ? write_minilm(out_dir) : write_bert_base(out_dir);
    int64_t params = 0;
    for (const auto& spec : specs) params += spec.numel();
    write_safetensors(out_dir / "model.safetensors", specs, kSeed);
    copy_tokenizer(tokenizer_from, out_dir);
    std::cout << out_dir.string() << ": " << specs.size() << " tensors, " << params << " parameters, "
              << fs::file_size(out_dir / "model.safetensors") << " bytes\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "make_encoder_models: " << e.what() << "\n";
    return 1;
  }
}
