// The lmpipe command line: one subcommand per pipeline.
#include <CLI/CLI.hpp>
#include <iostream>

#include "util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"lmpipe: Hugging Face transformer pipelines in C++"};
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const lmpipe::Error& e) {
    std::cerr << "lmpipe: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
