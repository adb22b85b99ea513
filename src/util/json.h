#pragma once
// JSON files with errors that name the file and the field.
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "lmpipe/json.h"
#include "util/error.h"

namespace lmpipe {

// Parses JSON text in linear time (ordered_json's own parser searches each object's keys for
// every new key: quadratic in a 50,000-entry vocabulary). A repeated key keeps its first
// position and its last value, as Python's json does. Throws json::parse_error.
json parse_json(std::string_view text);

// Parses a JSON file; throws lmpipe::Error "<path>: invalid JSON: ..." or "<path>: cannot open".
json read_json_file(const std::filesystem::path& path);

// Appends key: value to a JSON object without searching it for the key (which operator[]
// does, linearly): for building large objects whose keys are known to be distinct.
void json_append_unique(json& object, std::string key, json value);

// Field access that throws lmpipe::Error "<where>: missing field 'key'" / "wrong type".
const json& json_field(const json& j, const std::string& key, const std::string& where);

namespace detail {

// nlohmann converts 2.5 to 2 and 300 to an int8_t's 44 without a word; a config field that says
// either is a mistake to report, not to guess at.
template <typename T>
void check_integer(const json& v, const std::string& what) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (!v.is_number_integer()) throw Error(what + " must be an integer, not " + v.dump());
    bool fits;
    if (v.is_number_unsigned()) {
      fits = v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
    } else {
      int64_t x = v.get<int64_t>();
      if constexpr (std::is_unsigned_v<T>)
        fits = x >= 0 && static_cast<uint64_t>(x) <= std::numeric_limits<T>::max();
      else
        fits = x >= std::numeric_limits<T>::min() && x <= std::numeric_limits<T>::max();
    }
    if (!fits) throw Error(what + " is out of range: " + v.dump());
  }
}

}  // namespace detail

template <typename T>
T json_get(const json& j, const std::string& key, const std::string& where) {
  const json& v = json_field(j, key, where);
  detail::check_integer<T>(v, where + ": field '" + key + "'");
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
  detail::check_integer<T>(*it, "field '" + key + "'");
  return it->get<T>();
}

}  // namespace lmpipe
