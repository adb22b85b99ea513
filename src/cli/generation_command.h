#pragma once
// What the generation subcommands share (text-generation, summarization, translation,
// text2text-generation): generate()'s options as flags, texts from the command line or stdin
// (one per line, or JSONL), JSON output as the Python pipeline returns it, and --stream.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lmpipe/text_generation.h"

namespace lmpipe::cli {

struct GenerationArgs {
  std::string model, revision = "main", task;
  std::vector<std::string> texts;
  bool stream = false, return_tensors = false;
  std::optional<bool> return_full_text;  // text-generation only
  size_t batch_size = 1;
  std::string kwargs_json;  // --kwargs: any further generate() / pipeline arguments
  // generate() arguments; unset ones are left to the model's generation config.
  std::optional<int64_t> max_new_tokens, min_new_tokens, max_length, min_length, num_beams, num_return_sequences, top_k,
      no_repeat_ngram_size, seed;
  std::optional<double> temperature, top_p, min_p, repetition_penalty, length_penalty;
  bool do_sample = false;
  std::vector<std::string> stop_strings;
};

// Adds the shared options to `cmd` (the model option with `default_model`).
void add_generation_options(CLI::App* cmd, GenerationArgs& args, const std::string& default_model);

// Runs the pipeline made by `make` (from the resolved model directory) on the texts, or on stdin,
// and prints the results; --stream prints text as it is generated, after the input itself when
// `echo_input` (text-generation's full text). Failed stdin lines make the exit code 1
// (CLI::RuntimeError) after the others ran.
void run_generation(const GenerationArgs& args,
                    const std::function<std::unique_ptr<Pipeline>(const std::filesystem::path&)>& make, bool echo_input);

}  // namespace lmpipe::cli
