#include <filesystem>

#include "pipelines/resolve.h"
#include "util/error.h"

namespace lmpipe {

// A local model directory as is. Hub ids are resolved through the download cache (io/hub).
std::filesystem::path resolve_model_dir(const std::string& model) {
  if (std::filesystem::is_directory(model)) return model;
  throw Error("model '" + model + "': no such directory");
}

}  // namespace lmpipe
