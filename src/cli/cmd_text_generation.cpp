// `lmpipe text-generation`: continue prompts with a causal language model (GPT-2).
#include "cli/commands.h"
#include "cli/generation_command.h"

namespace lmpipe::cli {

void register_text_generation(CLI::App& app) {
  auto args = std::make_shared<GenerationArgs>();
  CLI::App* cmd = app.add_subcommand("text-generation", "continue prompts with a causal language model");
  add_generation_options(cmd, *args, "openai-community/gpt2");
  cmd->add_option("--return-full-text", args->return_full_text, "include the prompt in the text (default true)");
  cmd->add_option("texts", args->texts, "prompts; none: one per line (or JSONL) from stdin");
  cmd->callback([args] {
    run_generation(
        *args, [](const std::filesystem::path& dir) { return std::make_unique<TextGenerationPipeline>(dir); },
        args->return_full_text.value_or(true));
  });
}

}  // namespace lmpipe::cli
