// `lmpipe version` (and `lmpipe --version`): lmpipe's version and the libraries it runs on.
#include "cli/commands.h"
#include "cli/terminal.h"
#include "lmpipe/version.h"

namespace lmpipe::cli {

Command register_version(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("version", "Print the version of lmpipe and of the libraries it uses");
  return {cmd, [] {
            out().require_open();
            std::string text = std::string("lmpipe ") + version() + "\n";
            for (const auto& [library, library_version] : library_versions()) text += library + " " + library_version + "\n";
            text += std::string("CLI11 ") + CLI11_VERSION + "\n";
            out().write(text);
            return kExitOk;
          }};
}

}  // namespace lmpipe::cli
