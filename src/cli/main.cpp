// The lmpipe command line: one subcommand per cmd_*.cpp.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"lmpipe: Hugging Face transformer pipelines in C++"};
  app.require_subcommand(1);
  lmpipe::cli::register_tokenize(app);
  lmpipe::cli::register_zero_shot(app);
  lmpipe::cli::register_download(app);
  lmpipe::cli::register_serve(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "lmpipe: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
