#include "io/sharded.h"

#include <map>
#include <vector>

#include "util/error.h"
#include "util/json.h"

namespace lmpipe {

void read_sharded(const std::filesystem::path& index, const ShardReader& read_shard, Checkpoint& out) {
  const std::string where = index.string();
  const json root = read_json_file(index);
  const json& weight_map = json_field(root, "weight_map", where);
  if (!weight_map.is_object() || weight_map.empty()) throw Error(where + ": 'weight_map' must be a non-empty object");

  std::map<std::string, std::vector<std::string>> by_shard;  // shard file -> tensors the index puts there
  for (const auto& [name, shard] : weight_map.items()) {
    if (!shard.is_string()) throw Error(where + ": weight_map entry '" + name + "' is not a file name");
    const std::filesystem::path rel(shard.get<std::string>());
    bool escapes = rel.empty() || rel.is_absolute();
    for (const auto& part : rel) escapes = escapes || part == "..";
    if (escapes) throw Error(where + ": weight_map entry '" + name + "' names an invalid shard '" + rel.string() + "'");
    by_shard[rel.string()].push_back(name);
  }

  for (const auto& [shard, names] : by_shard) {
    const auto path = index.parent_path() / shard;
    if (!std::filesystem::is_regular_file(path))
      throw Error(where + ": shard '" + shard + "' is missing (looked for " + path.string() + ")");
    Checkpoint part;
    read_shard(path, part);
    for (const auto& name : names)
      if (!part.contains(name))
        throw Error(path.string() + ": tensor '" + name + "' is absent, but " + where + " places it in this shard");
    for (const auto& name : part.names()) out.add(name, part.info(name));
  }
}

}  // namespace lmpipe
