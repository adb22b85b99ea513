#pragma once
// The weights of a model directory, whatever the format on disk: model.safetensors, sharded
// safetensors (model.safetensors.index.json) or pytorch_model.bin. Tensors keep the checkpoint's
// own key names.
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
  // Opens the weights of a model directory; throws lmpipe::Error naming the file at fault.
  static Checkpoint open(const std::filesystem::path& model_dir);
  // One safetensors file on its own.
  static Checkpoint open_safetensors(const std::filesystem::path& file);

  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  const TensorInfo& info(const std::string& name) const;
  std::vector<std::string> names() const;
  size_t size() const { return tensors_.size(); }

  // The tensor as fp32: a zero-copy view for F32, a converted copy for F16/BF16.
  // Throws naming the key when it is missing or of another dtype.
  Tensor load(const std::string& name) const;
  // Same, and checks the shape.
  Tensor load(const std::string& name, const Shape& expected) const;

  void add(const std::string& name, TensorInfo info);

 private:
  std::map<std::string, TensorInfo> tensors_;
  std::string source_;  // the directory or file, for messages
};

}  // namespace lmpipe
