#pragma once
// PyTorch's torch.save format (zip serialization, PyTorch >= 1.6): `<archive>/data.pkl` pickles
// the state dict, each tensor a torch._utils._rebuild_tensor_v2 call over a storage kept in
// `<archive>/data/<key>`. Mirrors torch/serialization.py (_load) without running any pickle code.
#include <filesystem>

#include "io/checkpoint.h"

namespace lmpipe {

// Adds each tensor of the state dict to `out`: zero-copy views of the mapped file when the
// tensor is contiguous, contiguous copies otherwise. Throws lmpipe::Error naming the file when it
// is truncated, corrupt, not a state dict of tensors, or references a global off the allow-list.
void read_torch_bin(const std::filesystem::path& file, Checkpoint& out);

}  // namespace lmpipe
