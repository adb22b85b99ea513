#include "lmpipe/pipeline.h"

#include <filesystem>
#include <map>

#include "lmpipe/zero_shot.h"
#include "io/hub.h"
#include "util/error.h"

namespace lmpipe {

namespace {

struct Task {
  std::string default_model;  // as transformers' SUPPORTED_TASKS
  std::unique_ptr<Pipeline> (*make)(const std::filesystem::path& model_dir);
};

const std::map<std::string, Task>& tasks() {
  static const std::map<std::string, Task> table = {
      {"zero-shot-classification",
       {"facebook/bart-large-mnli",
        [](const std::filesystem::path& dir) -> std::unique_ptr<Pipeline> {
          return std::make_unique<ZeroShotClassificationPipeline>(dir);
        }}},
  };
  return table;
}

}  // namespace

std::unique_ptr<Pipeline> pipeline(const std::string& task, const std::string& model) {
  auto it = tasks().find(task);
  if (it == tasks().end()) {
    std::string known;
    for (const auto& [name, _] : tasks()) known += (known.empty() ? "" : ", ") + name;
    throw Error("unknown task '" + task + "' (supported: " + known + ")", ErrorKind::invalid_argument);
  }
  std::filesystem::path dir;
  try {
    dir = resolve_model(model.empty() ? it->second.default_model : model);
  } catch (const Error& e) {
    // A model that cannot be found or fetched, whatever the cause (Python raises OSError).
    throw Error(e.what(), ErrorKind::io);
  }
  return it->second.make(dir);
}

}  // namespace lmpipe
