#pragma once
// The weights of a model directory, whatever the format on disk: model.safetensors, sharded
// safetensors (model.safetensors.index.json), pytorch_model.bin or its sharded index
// (pytorch_model.bin.index.json), in transformers' order of preference. Tensors keep the
// checkpoint's own key names, except the legacy renamings transformers v5 applies to every model
// on load (conversion_mapping.py "legacy"): `LayerNorm.gamma` -> `LayerNorm.weight` and
// `LayerNorm.beta` -> `LayerNorm.bias`.
//
// Naming variants that depend on the model are left to the models, which look them up with
// contains() / has_prefix(), as transformers does with base_model_prefix:
//  - checkpoints saved from the base model lack its prefix (Hub gpt2: "h.0..." instead of
//    "transformer.h.0..."): `ckpt.has_prefix("transformer.") ? "transformer." : ""`;
//  - tied output embeddings are usually absent from the file:
//    `ckpt.contains("lm_head.weight") ? "lm_head.weight" : "transformer.wte.weight"`.
// Buffers some old checkpoints carry (GPT-2's "attn.bias" masks, BERT's "position_ids") are
// simply never asked for.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace lmpipe {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

const char* dtype_name(DType dtype);
size_t dtype_size(DType dtype);

struct TensorInfo {
  DType dtype = DType::F32;
  Shape shape;
  const uint8_t* data = nullptr;  // raw little-endian bytes, inside `owner`
  size_t nbytes = 0;
  std::string file;  // where it came from, for error messages
  std::shared_ptr<const void> owner;
};

class Checkpoint {
 public:
  // Opens the weights of a model directory; throws lmpipe::Error naming the file at fault, or,
  // when there are none, the directory and the file names looked for.
  static Checkpoint open(const std::filesystem::path& model_dir);
  // One file on its own: safetensors, or PyTorch's zip format (pytorch_model.bin).
  static Checkpoint open_safetensors(const std::filesystem::path& file);
  static Checkpoint open_torch_bin(const std::filesystem::path& file);

  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  // Whether any tensor name starts with `prefix` (e.g. "transformer.").
  bool has_prefix(const std::string& prefix) const;
  const TensorInfo& info(const std::string& name) const;
  std::vector<std::string> names() const;
  size_t size() const { return tensors_.size(); }

  // The tensor as fp32: a zero-copy view for F32, a converted copy for F16/BF16.
  // Throws naming the key when it is missing or of another dtype.
  Tensor load(const std::string& name) const;
  // Same, and checks the shape.
  Tensor load(const std::string& name, const Shape& expected) const;

  // Once a tensor has been packed or copied, drops its pages of the file mapping from this
  // process, so that loading peaks near the model's size rather than twice it. They stay in the
  // page cache and fault back in if read again. Tensors held in memory (converted or strided
  // copies) are left alone.
  void release(const std::string& name) const;

  // Adds a tensor; throws naming both files when the name is already taken.
  void add(const std::string& name, TensorInfo info);

 private:
  // Applies the legacy key renamings (see the top of this file).
  void rename_legacy_keys();

  std::map<std::string, TensorInfo> tensors_;
  std::string source_;  // the directory or file, for messages
};

}  // namespace lmpipe
