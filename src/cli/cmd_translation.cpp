// `lmpipe translation --task translation_en_to_de`: translate texts with a sequence-to-sequence model.
#include "cli/commands.h"
#include "cli/generation_command.h"
#include "util/error.h"

namespace lmpipe::cli {

void register_translation(CLI::App& app) {
  auto args = std::make_shared<GenerationArgs>();
  args->task = "translation_en_to_de";
  CLI::App* cmd = app.add_subcommand("translation", "translate texts with a sequence-to-sequence model");
  add_generation_options(cmd, *args, "google-t5/t5-base");
  cmd->add_option("--task", args->task, "translation_xx_to_yy: picks the model's task_specific_params (T5's prefix)")
      ->capture_default_str();
  cmd->add_option("texts", args->texts, "texts; none: one per line (or JSONL) from stdin");
  cmd->callback([args] {
    if (args->task != "translation" && args->task.rfind("translation_", 0) != 0)
      throw Error("--task must be translation or translation_xx_to_yy, got '" + args->task + "'");
    const std::string task = args->task;
    run_generation(
        *args, [task](const std::filesystem::path& dir) { return std::make_unique<Text2TextGenerationPipeline>(dir, task); },
        false);
  });
}

}  // namespace lmpipe::cli
