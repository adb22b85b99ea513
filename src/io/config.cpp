#include "io/config.h"

namespace lmpipe {

ModelConfig ModelConfig::load(const std::filesystem::path& model_dir) {
  const auto file = model_dir / "config.json";
  if (!std::filesystem::exists(file)) throw Error(file.string() + ": missing (every model directory needs a config.json)");
  return load_file(file);
}

ModelConfig ModelConfig::load_file(const std::filesystem::path& file) { return ModelConfig(file, read_json_file(file)); }

ModelConfig::ModelConfig(std::filesystem::path file, json data) : file_(std::move(file)), data_(std::move(data)) {
  if (!data_.is_object()) throw Error(file_.string() + ": expected a JSON object");
}

bool ModelConfig::has(const std::string& key) const {
  auto it = data_.find(key);
  return it != data_.end() && !it->is_null();
}

void ModelConfig::wrong_type(const std::string& key, const char* expected) const {
  throw Error(file_.string() + ": field '" + key + "' must be " + expected + ", got " + data_.at(key).dump());
}

std::vector<int64_t> ModelConfig::token_ids(const std::string& key) const {
  if (!has(key)) return {};
  const json& v = data_.at(key);
  if (v.is_number_integer()) return {v.get<int64_t>()};
  if (!v.is_array()) wrong_type(key, "an integer or a list of integers");
  std::vector<int64_t> ids;
  for (const json& id : v) {
    if (!id.is_number_integer()) wrong_type(key, "an integer or a list of integers");
    ids.push_back(id.get<int64_t>());
  }
  return ids;
}

}  // namespace lmpipe
