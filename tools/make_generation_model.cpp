// Writes random-weight stand-ins of the generation benchmarks' models (which cannot be downloaded
// here), with the real shapes, key names and config.json / generation_config.json values:
//   gpt2            openai-community/gpt2 (GPT2LMHeadModel, 124 M, lm_head tied to wte)
//   t5-small        google-t5/t5-small (T5ForConditionalGeneration, 60 M, tied and rescaled head)
//   bart-large-cnn  facebook/bart-large-cnn (BartForConditionalGeneration, 406 M)
// The gpt2 and bart-large-cnn directories get the fixtures' tokenizer files (the real
// vocabularies), so the CLI runs on them; t5-small's 32128-token vocabulary has no tokenizer here.
//
// Usage: make_generation_model gpt2|t5-small|bart-large-cnn OUT_DIR
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

constexpr uint64_t kSeed = 20261127;

void add(std::vector<TensorSpec>& specs, const std::string& name, std::vector<int64_t> shape, Init init = Init::Normal) {
  specs.push_back({name, std::move(shape), init});
}

// GPT2LMHeadModel as transformers saves it: transformer.*, Conv1D weights (in, out), no lm_head.
std::vector<TensorSpec> gpt2_tensors() {
  const int64_t d = 768, layers = 12, vocab = 50257, positions = 1024;
  std::vector<TensorSpec> s;
  add(s, "transformer.wte.weight", {vocab, d});
  add(s, "transformer.wpe.weight", {positions, d});
  for (int64_t i = 0; i < layers; ++i) {
    const std::string h = "transformer.h." + std::to_string(i);
    add_layer_norm(s, h + ".ln_1", d);
    add(s, h + ".attn.c_attn.weight", {d, 3 * d});
    add(s, h + ".attn.c_attn.bias", {3 * d}, Init::Zeros);
    add(s, h + ".attn.c_proj.weight", {d, d});
    add(s, h + ".attn.c_proj.bias", {d}, Init::Zeros);
    add_layer_norm(s, h + ".ln_2", d);
    add(s, h + ".mlp.c_fc.weight", {d, 4 * d});
    add(s, h + ".mlp.c_fc.bias", {4 * d}, Init::Zeros);
    add(s, h + ".mlp.c_proj.weight", {4 * d, d});
    add(s, h + ".mlp.c_proj.bias", {d}, Init::Zeros);
  }
  add_layer_norm(s, "transformer.ln_f", d);
  return s;
}

json gpt2_config() {
  return json::parse(R"({
  "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
  "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02,
  "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024, "n_embd": 768, "n_head": 12,
  "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1, "summary_activation": null,
  "summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
  "summary_use_proj": true, "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}},
  "vocab_size": 50257
})");
}

// T5ForConditionalGeneration (v1.0): no biases, RMS norms, relative attention bias in block 0.
std::vector<TensorSpec> t5_small_tensors() {
  const int64_t d = 512, inner = 512, ff = 2048, layers = 6, vocab = 32128, buckets = 32, heads = 8;
  std::vector<TensorSpec> s;
  add(s, "shared.weight", {vocab, d});
  for (std::string stack : {"encoder", "decoder"}) {
    for (int64_t i = 0; i < layers; ++i) {
      const std::string b = stack + ".block." + std::to_string(i) + ".layer.";
      for (const char* p : {"q", "k", "v"}) add(s, b + "0.SelfAttention." + p + ".weight", {inner, d});
      add(s, b + "0.SelfAttention.o.weight", {d, inner});
      if (i == 0) add(s, b + "0.SelfAttention.relative_attention_bias.weight", {buckets, heads});
      add(s, b + "0.layer_norm.weight", {d}, Init::Ones);
      std::string ff_layer = "1";
      if (stack == "decoder") {
        for (const char* p : {"q", "k", "v"}) add(s, b + "1.EncDecAttention." + p + ".weight", {inner, d});
        add(s, b + "1.EncDecAttention.o.weight", {d, inner});
        add(s, b + "1.layer_norm.weight", {d}, Init::Ones);
        ff_layer = "2";
      }
      add(s, b + ff_layer + ".DenseReluDense.wi.weight", {ff, d});
      add(s, b + ff_layer + ".DenseReluDense.wo.weight", {d, ff});
      add(s, b + ff_layer + ".layer_norm.weight", {d}, Init::Ones);
    }
    add(s, stack + ".final_layer_norm.weight", {d}, Init::Ones);
  }
  return s;
}

json t5_small_config() {
  return json::parse(R"({
  "architectures": ["T5ForConditionalGeneration"], "d_ff": 2048, "d_kv": 64, "d_model": 512,
  "decoder_start_token_id": 0, "dropout_rate": 0.1, "eos_token_id": 1, "feed_forward_proj": "relu",
  "initializer_factor": 1.0, "is_encoder_decoder": true, "layer_norm_epsilon": 1e-06, "model_type": "t5",
  "n_positions": 512, "num_decoder_layers": 6, "num_heads": 8, "num_layers": 6, "output_past": true,
  "pad_token_id": 0, "relative_attention_num_buckets": 32, "tie_word_embeddings": true, "vocab_size": 32128,
  "task_specific_params": {
    "summarization": {"early_stopping": true, "length_penalty": 2.0, "max_length": 200, "min_length": 30,
                      "no_repeat_ngram_size": 3, "num_beams": 4, "prefix": "summarize: "},
    "translation_en_to_de": {"early_stopping": true, "max_length": 300, "num_beams": 4,
                             "prefix": "translate English to German: "}}
})");
}

// BartForConditionalGeneration: model.*, final_logits_bias, head tied to model.shared.
std::vector<TensorSpec> bart_large_cnn_tensors() {
  const int64_t d = 1024, ffn = 4096, layers = 12, vocab = 50264, positions = 1024 + 2;
  std::vector<TensorSpec> s;
  add(s, "final_logits_bias", {1, vocab}, Init::Zeros);
  add(s, "model.shared.weight", {vocab, d});
  for (std::string stack : {"encoder", "decoder"}) {
    const std::string base = "model." + stack;
    add(s, base + ".embed_positions.weight", {positions, d});
    add_layer_norm(s, base + ".layernorm_embedding", d);
    for (int64_t i = 0; i < layers; ++i) {
      const std::string layer = base + ".layers." + std::to_string(i);
      std::vector<std::string> attentions = {"self_attn"};
      if (stack == "decoder") attentions.push_back("encoder_attn");
      for (const auto& attn : attentions) {
        for (const char* p : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
          add(s, layer + "." + attn + "." + p + ".weight", {d, d});
          add(s, layer + "." + attn + "." + p + ".bias", {d}, Init::Zeros);
        }
        add_layer_norm(s, layer + "." + attn + "_layer_norm", d);
      }
      add(s, layer + ".fc1.weight", {ffn, d});
      add(s, layer + ".fc1.bias", {ffn}, Init::Zeros);
      add(s, layer + ".fc2.weight", {d, ffn});
      add(s, layer + ".fc2.bias", {d}, Init::Zeros);
      add_layer_norm(s, layer + ".final_layer_norm", d);
    }
  }
  return s;
}

json bart_large_cnn_config() {
  return json::parse(R"({
  "activation_dropout": 0.0, "activation_function": "gelu", "add_final_layer_norm": false,
  "architectures": ["BartForConditionalGeneration"], "attention_dropout": 0.0, "bos_token_id": 0,
  "d_model": 1024, "decoder_attention_heads": 16, "decoder_ffn_dim": 4096, "decoder_layers": 12,
  "decoder_start_token_id": 2, "dropout": 0.1, "encoder_attention_heads": 16, "encoder_ffn_dim": 4096,
  "encoder_layers": 12, "eos_token_id": 2, "forced_bos_token_id": 0, "forced_eos_token_id": 2,
  "init_std": 0.02, "is_encoder_decoder": true, "max_position_embeddings": 1024, "model_type": "bart",
  "normalize_before": false, "num_hidden_layers": 12, "pad_token_id": 1, "scale_embedding": false,
  "vocab_size": 50264
})");
}

json bart_large_cnn_generation_config() {
  return json::parse(R"({
  "bos_token_id": 0, "decoder_start_token_id": 2, "early_stopping": true, "eos_token_id": 2,
  "forced_bos_token_id": 0, "forced_eos_token_id": 2, "length_penalty": 2.0, "max_length": 142,
  "min_length": 56, "no_repeat_ngram_size": 3, "num_beams": 4, "pad_token_id": 1
})");
}

void copy_tokenizer(const fs::path& from, const fs::path& to) {
  for (const char* file : {"tokenizer.json", "tokenizer_config.json"})
    fs::copy_file(from / file, to / file, fs::copy_options::overwrite_existing);
  std::ifstream in(to / "tokenizer_config.json");
  json config = json::parse(in);
  config["model_max_length"] = 1024;
  std::ofstream(to / "tokenizer_config.json") << config.dump(2) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_generation_model gpt2|t5-small|bart-large-cnn OUT_DIR\n";
    return 2;
  }
  try {
    const std::string which = argv[1];
    const fs::path out = argv[2], tokenizers = fs::path(LMPIPE_FIXTURES_DIR) / "goldens/tokenizers";
    std::vector<TensorSpec> specs;
    json config, generation = json::object();
    if (which == "gpt2") {
      specs = gpt2_tensors(), config = gpt2_config();
      generation = {{"bos_token_id", 50256}, {"eos_token_id", 50256}};
    } else if (which == "t5-small") {
      specs = t5_small_tensors(), config = t5_small_config();
      generation = {{"decoder_start_token_id", 0}, {"eos_token_id", 1}, {"pad_token_id", 0}};
    } else if (which == "bart-large-cnn") {
      specs = bart_large_cnn_tensors(), config = bart_large_cnn_config(), generation = bart_large_cnn_generation_config();
    } else {
      std::cerr << "make_generation_model: unknown model '" << which << "' (gpt2, t5-small, bart-large-cnn)\n";
      return 2;
    }
    fs::create_directories(out);
    write_safetensors(out / "model.safetensors", specs, kSeed);
    std::ofstream(out / "config.json") << config.dump(2) << "\n";
    std::ofstream(out / "generation_config.json") << generation.dump(2) << "\n";
    if (which == "gpt2") copy_tokenizer(tokenizers / "gpt2", out);
    if (which == "bart-large-cnn") copy_tokenizer(tokenizers / "bart", out);
    int64_t params = 0;
    for (const auto& spec : specs) params += spec.numel();
    std::cout << out.string() << ": " << specs.size() << " tensors, " << params << " parameters\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "make_generation_model: " << e.what() << "\n";
    return 1;
  }
}
