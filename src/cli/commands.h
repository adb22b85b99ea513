#pragma once
// Each subcommand lives in its own cmd_*.cpp and registers itself on the app.
#include <CLI/CLI.hpp>

namespace lmpipe::cli {

void register_tokenize(CLI::App& app);
void register_zero_shot(CLI::App& app);
void register_download(CLI::App& app);  // `download` and `cache list`
void register_serve(CLI::App& app);

}  // namespace lmpipe::cli
