#pragma once
// Each subcommand lives in its own cmd_*.cpp and registers itself on the app.
#include <CLI/CLI.hpp>

namespace lmpipe::cli {

void register_tokenize(CLI::App& app);
void register_zero_shot(CLI::App& app);
void register_download(CLI::App& app);  // `download` and `cache list`
void register_fill_mask(CLI::App& app);
void register_feature_extraction(CLI::App& app);
void register_next_sentence(CLI::App& app);
void register_embed(CLI::App& app);

}  // namespace lmpipe::cli
