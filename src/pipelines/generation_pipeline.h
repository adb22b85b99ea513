#pragma once
// What the text-generation and text2text pipelines share: the model, tokenizer and the generation
// config a generation pipeline passes to generate() (transformers' Pipeline.__init__ for pipelines
// that call generate), keyword-argument parsing, batching and streaming.
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "generation/generate.h"
#include "lmpipe/generation.h"
#include "lmpipe/text_generation.h"
#include "lmpipe/tokenizer.h"
#include "models/generative.h"

namespace lmpipe::pipelines {

struct GenerationPipelineBase {
  Tokenizer tokenizer;
  std::unique_ptr<GenerativeModel> model;
  GenerationConfig model_config;     // generation_config.json (or config.json's fields)
  GenerationConfig pipeline_config;  // the config the pipeline passes to generate()
  std::string prefix;                // prepended to every input: the task's or config.json's prefix

  // `defaults`: the pipeline's own (_default_generation_config); `task`: the task_specific_params
  // key whose settings apply; `options` load the model (its dtype).
  GenerationPipelineBase(const std::filesystem::path& model_dir, const std::string& task,
                         const GenerationConfig& defaults, const LoadOptions& options);

  // Keyword arguments: `pipeline_keys` land in `options`, the rest must be generation arguments.
  struct Arguments {
    json options = json::object();
    GenerationConfig generate;
  };
  Arguments parse_kwargs(const json& kwargs, const std::set<std::string>& pipeline_keys) const;
  // The model-independent part of parse_kwargs: splits and type-checks (no stop_sequence encoding).
  static Arguments split_kwargs(const json& kwargs, const std::set<std::string>& pipeline_keys);

  // Runs generate() on one padded batch of encodings (each input's rows best first).
  generation::GenerateOutput generate(const std::vector<Encoding>& encodings, PaddingSide side,
                                      const GenerationConfig& kwargs, const TextCallback* on_text) const;
};

// The inputs of a pipeline call: one string, or a non-empty list of strings.
std::vector<std::string> parse_texts(const json& inputs, bool* is_list);
// Python's text[n:] on code points.
std::string drop_chars(const std::string& text, size_t n);
// An optional boolean keyword argument.
std::optional<bool> bool_option(const json& options, const std::string& key);

}  // namespace lmpipe::pipelines
