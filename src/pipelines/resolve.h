#pragma once
#include <filesystem>
#include <string>

namespace lmpipe {

// A local model directory as is; otherwise a Hub id, found in (or downloaded to) the Hugging
// Face cache. Throws lmpipe::Error when neither works.
std::filesystem::path resolve_model_dir(const std::string& model);

}  // namespace lmpipe
