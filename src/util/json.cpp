#include "util/json.h"

#include <unordered_map>
#include <utility>
#include <vector>

#include "util/error.h"
#include "util/mapped_file.h"

namespace lmpipe {

namespace {

// ordered_json's object is a vector of (key, value) pairs underneath.
using Members = std::vector<std::pair<const std::string, json>>;

Members& members(json& object) { return object.get_ref<json::object_t&>(); }

// A repeated key: the first position, the last value (Python's dict, nlohmann's operator[]).
void fold_repeated_keys(json& object) {
  Members& items = members(object);
  if (items.size() < 2) return;
  std::unordered_map<std::string_view, size_t> first;
  first.reserve(items.size());
  bool repeated = false;
  for (size_t i = 0; i < items.size() && !repeated; ++i) repeated = !first.emplace(items[i].first, i).second;
  if (!repeated) return;
  std::vector<std::pair<std::string, json>> folded;
  std::unordered_map<std::string, size_t> position;
  for (auto& [key, value] : items) {
    auto [it, added] = position.emplace(key, folded.size());
    if (added) folded.emplace_back(key, std::move(value));
    else folded[it->second].second = std::move(value);
  }
  Members rebuilt;
  rebuilt.reserve(folded.size());
  for (auto& [key, value] : folded) rebuilt.emplace_back(std::move(key), std::move(value));
  items.swap(rebuilt);
}

// nlohmann's SAX interface, building the value by appending to each container.
class Builder {
 public:
  explicit Builder(json& root) : root_(root) {}

  bool null() { return add(nullptr); }
  bool boolean(bool v) { return add(v); }
  bool number_integer(json::number_integer_t v) { return add(v); }
  bool number_unsigned(json::number_unsigned_t v) { return add(v); }
  bool number_float(json::number_float_t v, const json::string_t&) { return add(v); }
  bool string(json::string_t& v) { return add(std::move(v)); }
  bool binary(json::binary_t& v) { return add(json::binary(std::move(v))); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool key(json::string_t& k) {
    Members& items = members(*open_.back());
    items.emplace_back(std::move(k), nullptr);
    member_ = &items.back().second;
    return true;
  }
  bool end_object() {
    fold_repeated_keys(*open_.back());
    open_.pop_back();
    return true;
  }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_array() {
    open_.pop_back();
    return true;
  }
  template <typename Exception>
  bool parse_error(std::size_t, const std::string&, const Exception& e) {
    throw e;
  }

 private:
  // Where the next value goes: the root, the end of the open array, or the member just keyed.
  json* place(json&& value) {
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      auto& items = parent.get_ref<json::array_t&>();
      items.push_back(std::move(value));
      return &items.back();
    }
    *member_ = std::move(value);
    return member_;
  }
  bool add(json&& value) {
    place(std::move(value));
    return true;
  }
  // Only the innermost open container grows, so pointers to the open ones stay valid.
  bool open(json&& container) {
    open_.push_back(place(std::move(container)));
    return true;
  }

  json& root_;
  std::vector<json*> open_;
  json* member_ = nullptr;
};

}  // namespace

json parse_json(std::string_view text) {
  json root;
  Builder builder(root);
  json::sax_parse(text.begin(), text.end(), &builder);
  return root;
}

json read_json_file(const std::filesystem::path& path) {
  std::string text = read_text_file(path);
  try {
    return parse_json(text);
  } catch (const json::parse_error& e) {
    throw Error(path.string() + ": invalid JSON: " + e.what());
  }
}

void json_append_unique(json& object, std::string key, json value) {
  if (object.is_null()) object = json::object();
  members(object).emplace_back(std::move(key), std::move(value));
}

const json& json_field(const json& j, const std::string& key, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": expected a JSON object");
  auto it = j.find(key);
  if (it == j.end()) throw Error(where + ": missing field '" + key + "'");
  return *it;
}

}  // namespace lmpipe
