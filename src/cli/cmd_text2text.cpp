// `lmpipe text2text-generation`: any text-to-text task of a sequence-to-sequence model (Flan-T5).
#include "cli/commands.h"
#include "cli/generation_command.h"

namespace lmpipe::cli {

void register_text2text(CLI::App& app) {
  auto args = std::make_shared<GenerationArgs>();
  CLI::App* cmd = app.add_subcommand("text2text-generation", "text-to-text generation with a sequence-to-sequence model");
  add_generation_options(cmd, *args, "google-t5/t5-base");
  cmd->add_option("texts", args->texts, "texts; none: one per line (or JSONL) from stdin");
  cmd->callback([args] {
    run_generation(
        *args,
        [](const std::filesystem::path& dir) {
          return std::make_unique<Text2TextGenerationPipeline>(dir, "text2text-generation");
        },
        false);
  });
}

}  // namespace lmpipe::cli
