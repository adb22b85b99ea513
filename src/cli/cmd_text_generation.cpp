// `lmpipe text-generation`: continue prompts with a causal language model (GPT-2).
#include "cli/commands.h"
#include "cli/generation_command.h"

namespace lmpipe::cli {

Command register_text_generation(CLI::App& app) {
  auto args = std::make_shared<GenerationArgs>();
  CLI::App* cmd = app.add_subcommand("text-generation", "Continue prompts with a causal language model");
  add_generation_options(cmd, *args, "openai-community/gpt2");
  cmd->add_option("--return-full-text", args->return_full_text, "Include the prompt in the text (default true)");
  return {cmd, [cmd, args] {
            GenerationCommand command{"text-generation",
                                      [](const std::filesystem::path& dir, const LoadOptions& options) {
                                        return std::make_unique<TextGenerationPipeline>(dir, options);
                                      },
                                      TextGenerationPipeline::check_arguments, args->return_full_text.value_or(true)};
            return run_generation(cmd, *args, command);
          }};
}

}  // namespace lmpipe::cli
