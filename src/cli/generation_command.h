#pragma once
// What the generation subcommands share (text-generation, summarization, translation,
// text2text-generation): generate()'s options as flags, and a run in command.h's order (checks,
// model, then TEXT arguments as the JSON Python returns, or a stream of records), plus --stream
// to print TEXT arguments' text as it is generated.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/stream.h"
#include "lmpipe/load_options.h"
#include "lmpipe/text_generation.h"

namespace lmpipe::cli {

struct GenerationArgs {
  std::string model, revision = "main", dtype = "float32";
  std::vector<std::string> texts;
  bool stream = false, return_tensors = false;
  std::optional<bool> return_full_text;  // text-generation only
  std::string kwargs_json;               // --kwargs: further pipeline / generate() arguments
  // generate() arguments; unset ones are left to the model's generation config.
  std::optional<int64_t> max_new_tokens, min_new_tokens, max_length, min_length, num_beams, num_return_sequences, top_k,
      no_repeat_ngram_size, seed;
  std::optional<double> temperature, top_p, min_p, repetition_penalty, length_penalty;
  bool do_sample = false;
  std::vector<std::string> stop_strings;
  StreamOptions input;
};

// What differs between the subcommands.
struct GenerationCommand {
  std::string name;  // "summarization"
  std::function<std::unique_ptr<Pipeline>(const std::filesystem::path&, const LoadOptions&)> make;
  std::function<void(const json& kwargs)> check_arguments;  // the pipeline's static check
  bool echo_input = false;  // --stream prints the prompt first (text-generation's full text)
};

// Adds the shared options and TEXT arguments to `cmd` (the model option with `default_model`).
void add_generation_options(CLI::App* cmd, GenerationArgs& args, const std::string& default_model);

// The subcommand's run (command.h): returns the exit status.
int run_generation(CLI::App* cmd, const GenerationArgs& args, const GenerationCommand& command);

}  // namespace lmpipe::cli
