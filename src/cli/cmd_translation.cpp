// `lmpipe translation --task translation_en_to_de`: translate texts with a sequence-to-sequence model.
#include "cli/command.h"
#include "cli/commands.h"
#include "cli/generation_command.h"

namespace lmpipe::cli {

Command register_translation(CLI::App& app) {
  auto args = std::make_shared<GenerationArgs>();
  auto task = std::make_shared<std::string>("translation_en_to_de");
  CLI::App* cmd = app.add_subcommand("translation", "Translate texts with a sequence-to-sequence model");
  add_generation_options(cmd, *args, "google-t5/t5-base");
  cmd->add_option("--task", *task, "translation_xx_to_yy: the model's task_specific_params to use (T5's prefix)")
      ->capture_default_str();
  return {cmd, [cmd, args, task] {
            if (*task != "translation" && (task->rfind("translation_", 0) != 0 || task->find("_to_") == std::string::npos))
              throw UsageError("--task " + *task + ": expected translation or translation_xx_to_yy");
            GenerationCommand command{"translation",
                                      [task](const std::filesystem::path& dir, const LoadOptions& options) {
                                        return std::make_unique<Text2TextGenerationPipeline>(dir, *task, options);
                                      },
                                      Text2TextGenerationPipeline::check_arguments};
            return run_generation(cmd, *args, command);
          }};
}

}  // namespace lmpipe::cli
