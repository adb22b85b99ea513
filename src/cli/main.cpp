// The lmpipe command line: one subcommand per cmd_*.cpp; command.h has the conventions.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/terminal.h"

int main(int argc, char** argv) {
  lmpipe::cli::init_standard_streams();
  CLI::App app{"lmpipe: Hugging Face transformer pipelines in C++", "lmpipe"};
  app.footer(
      "Run 'lmpipe COMMAND --help' for a command's options, 'lmpipe --version' for the versions.\n"
      "Exit status: 0 all done; 1 a failure (model, network, disk, output) or some input records failed;\n"
      "2 a usage error (unknown command or option, bad value).");
  std::vector<lmpipe::cli::Command> commands;
  commands.push_back(lmpipe::cli::register_zero_shot(app));
  commands.push_back(lmpipe::cli::register_text_generation(app));
  commands.push_back(lmpipe::cli::register_summarization(app));
  commands.push_back(lmpipe::cli::register_translation(app));
  commands.push_back(lmpipe::cli::register_text2text(app));
  commands.push_back(lmpipe::cli::register_fill_mask(app));
  commands.push_back(lmpipe::cli::register_feature_extraction(app));
  commands.push_back(lmpipe::cli::register_next_sentence(app));
  commands.push_back(lmpipe::cli::register_embed(app));
  commands.push_back(lmpipe::cli::register_tokenize(app));
  for (auto& c : lmpipe::cli::register_download(app)) commands.push_back(c);
  commands.push_back(lmpipe::cli::register_serve(app));
  commands.push_back(lmpipe::cli::register_version(app));
  return lmpipe::cli::run_command_line(app, commands, argc, argv);
}
