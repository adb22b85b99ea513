// `lmpipe summarization`: summarize texts with a sequence-to-sequence model (BART, T5).
#include "cli/commands.h"
#include "cli/generation_command.h"

namespace lmpipe::cli {

void register_summarization(CLI::App& app) {
  auto args = std::make_shared<GenerationArgs>();
  CLI::App* cmd = app.add_subcommand("summarization", "summarize texts with a sequence-to-sequence model");
  add_generation_options(cmd, *args, "sshleifer/distilbart-cnn-12-6");
  cmd->add_option("texts", args->texts, "texts; none: one per line (or JSONL) from stdin");
  cmd->callback([args] {
    run_generation(
        *args,
        [](const std::filesystem::path& dir) { return std::make_unique<Text2TextGenerationPipeline>(dir, "summarization"); },
        false);
  });
}

}  // namespace lmpipe::cli
