#pragma once
// JSON files with errors that name the file and the field.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "util/error.h"

namespace lmpipe {

using json = nlohmann::json;

// Parses a JSON file; throws lmpipe::Error "<path>: invalid JSON: ..." or "<path>: cannot open".
json read_json_file(const std::filesystem::path& path);

// Field access that throws lmpipe::Error "<where>: missing field 'key'" / "wrong type".
const json& json_field(const json& j, const std::string& key, const std::string& where);

template <typename T>
T json_get(const json& j, const std::string& key, const std::string& where) {
  const json& v = json_field(j, key, where);
  try {
    return v.get<T>();
  } catch (const json::exception& e) {
    throw Error(where + ": field '" + key + "' has the wrong type: " + e.what());
  }
}

template <typename T>
T json_get_or(const json& j, const std::string& key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  return it->get<T>();
}

}  // namespace lmpipe
