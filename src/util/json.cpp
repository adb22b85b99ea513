#include "util/json.h"

#include "util/error.h"
#include "util/mapped_file.h"

namespace lmpipe {

json read_json_file(const std::filesystem::path& path) {
  std::string text = read_text_file(path);
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(path.string() + ": invalid JSON: " + e.what());
  }
}

const json& json_field(const json& j, const std::string& key, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": expected a JSON object");
  auto it = j.find(key);
  if (it == j.end()) throw Error(where + ": missing field '" + key + "'");
  return *it;
}

}  // namespace lmpipe
