#pragma once
// Each subcommand lives in its own cmd_*.cpp: it adds its parser to the app and returns what to
// run once the command line is parsed (command.h says what that run does, in which order).
#include <CLI/CLI.hpp>
#include <vector>

#include "cli/command.h"

namespace lmpipe::cli {

Command register_zero_shot(CLI::App& app);
Command register_fill_mask(CLI::App& app);
Command register_feature_extraction(CLI::App& app);
Command register_next_sentence(CLI::App& app);
Command register_embed(CLI::App& app);
Command register_tokenize(CLI::App& app);
std::vector<Command> register_download(CLI::App& app);  // `download` and `cache list`
Command register_version(CLI::App& app);                // also `lmpipe --version`
Command register_text_generation(CLI::App& app);
Command register_summarization(CLI::App& app);
Command register_translation(CLI::App& app);
Command register_text2text(CLI::App& app);
Command register_serve(CLI::App& app);

}  // namespace lmpipe::cli
