// `lmpipe text2text-generation`: any text-to-text task of a sequence-to-sequence model (Flan-T5).
#include "cli/commands.h"
#include "cli/generation_command.h"

namespace lmpipe::cli {

Command register_text2text(CLI::App& app) {
  auto args = std::make_shared<GenerationArgs>();
  CLI::App* cmd = app.add_subcommand("text2text-generation", "Text-to-text generation with a sequence-to-sequence model");
  add_generation_options(cmd, *args, "google-t5/t5-base");
  return {cmd, [cmd, args] {
            GenerationCommand command{"text2text-generation",
                                      [](const std::filesystem::path& dir, const LoadOptions& options) {
                                        return std::make_unique<Text2TextGenerationPipeline>(dir, "text2text-generation", options);
                                      },
                                      Text2TextGenerationPipeline::check_arguments};
            return run_generation(cmd, *args, command);
          }};
}

}  // namespace lmpipe::cli
