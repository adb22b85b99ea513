#pragma once
// The safetensors format: 8-byte little-endian header size, a JSON header, then raw data.
// https://github.com/huggingface/safetensors (format description in its README).
#include <filesystem>

#include "io/checkpoint.h"

namespace lmpipe {

// Maps the file and adds each of its tensors to `out` (zero-copy). Validates the header:
// size within the file, known dtypes, offsets in range, matching the shape, not overlapping.
void read_safetensors(const std::filesystem::path& file, Checkpoint& out);

}  // namespace lmpipe
