#include "tokenizers/pattern.h"

namespace lmpipe::tok {

Pattern::Pattern(const json& j, const std::string& where) {
  if (j.is_object() && j.contains("String")) {
    literal_ = json_get<std::string>(j, "String", where);
  } else if (j.is_object() && j.contains("Regex")) {
    regex_ = std::make_unique<Regex>(json_get<std::string>(j, "Regex", where), where + ".Regex");
  } else {
    throw Error(where + ": expected {\"String\": ...} or {\"Regex\": ...}");
  }
}

}  // namespace lmpipe::tok
