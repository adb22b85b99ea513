#include "lmpipe/pipeline.h"

#include <filesystem>
#include <map>

#include "io/hub.h"
#include "lmpipe/text_generation.h"
#include "lmpipe/zero_shot.h"
#include "util/error.h"

namespace lmpipe {

namespace {

struct Task {
  std::string default_model;  // as transformers' SUPPORTED_TASKS
  std::unique_ptr<Pipeline> (*make)(const std::filesystem::path& model_dir, const std::string& task);
};

std::unique_ptr<Pipeline> make_text2text(const std::filesystem::path& dir, const std::string& task) {
  return std::make_unique<Text2TextGenerationPipeline>(dir, task);
}

const std::map<std::string, Task>& tasks() {
  static const std::map<std::string, Task> table = {
      {"zero-shot-classification",
       {"facebook/bart-large-mnli",
        [](const std::filesystem::path& dir, const std::string&) -> std::unique_ptr<Pipeline> {
          return std::make_unique<ZeroShotClassificationPipeline>(dir);
        }}},
      {"text-generation",
       {"openai-community/gpt2",
        [](const std::filesystem::path& dir, const std::string&) -> std::unique_ptr<Pipeline> {
          return std::make_unique<TextGenerationPipeline>(dir);
        }}},
      {"summarization", {"sshleifer/distilbart-cnn-12-6", make_text2text}},
      {"translation", {"google-t5/t5-base", make_text2text}},
      {"text2text-generation", {"google-t5/t5-base", make_text2text}},
  };
  return table;
}

// translation_xx_to_yy is the translation task with the language pair's task_specific_params.
bool is_translation_pair(const std::string& task) {
  const std::string prefix = "translation_";
  const size_t to = task.find("_to_", prefix.size());
  return task.rfind(prefix, 0) == 0 && to != std::string::npos && to > prefix.size() && to + 4 < task.size();
}

}  // namespace

std::unique_ptr<Pipeline> pipeline(const std::string& task, const std::string& model) {
  const std::string base = is_translation_pair(task) ? "translation" : task;
  auto it = tasks().find(base);
  if (it == tasks().end()) {
    std::string known;
    for (const auto& [name, _] : tasks()) known += (known.empty() ? "" : ", ") + name;
    throw Error("unknown task '" + task + "' (supported: " + known + ", translation_xx_to_yy)");
  }
  return it->second.make(resolve_model(model.empty() ? it->second.default_model : model), task);
}

}  // namespace lmpipe
