// `lmpipe summarization`: summarize texts with a sequence-to-sequence model (BART, T5).
#include "cli/commands.h"
#include "cli/generation_command.h"

namespace lmpipe::cli {

Command register_summarization(CLI::App& app) {
  auto args = std::make_shared<GenerationArgs>();
  CLI::App* cmd = app.add_subcommand("summarization", "Summarize texts with a sequence-to-sequence model");
  add_generation_options(cmd, *args, "sshleifer/distilbart-cnn-12-6");
  return {cmd, [cmd, args] {
            GenerationCommand command{"summarization",
                                      [](const std::filesystem::path& dir, const LoadOptions& options) {
                                        return std::make_unique<Text2TextGenerationPipeline>(dir, "summarization", options);
                                      },
                                      Text2TextGenerationPipeline::check_arguments};
            return run_generation(cmd, *args, command);
          }};
}

}  // namespace lmpipe::cli
