#pragma once
// Sharded checkpoints: `model.safetensors.index.json` / `pytorch_model.bin.index.json`, whose
// `weight_map` sends each tensor name to the shard file holding it (transformers'
// modeling_utils sharded loading: every shard is read whole).
#include <filesystem>
#include <functional>

#include "io/checkpoint.h"

namespace lmpipe {

using ShardReader = std::function<void(const std::filesystem::path& shard, Checkpoint& out)>;

// Reads every shard the index names with `read_shard` and adds its tensors to `out`. Throws
// lmpipe::Error naming the index when it is malformed or a shard is missing, and naming the
// shard when a tensor the index places there is absent from it.
void read_sharded(const std::filesystem::path& index, const ShardReader& read_shard, Checkpoint& out);

}  // namespace lmpipe
