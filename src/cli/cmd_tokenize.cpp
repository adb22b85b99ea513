// Placeholder: the subcommand is not registered until it is implemented.
#include "cli/commands.h"

namespace lmpipe::cli {

void register_tokenize(CLI::App&) {}

}  // namespace lmpipe::cli
