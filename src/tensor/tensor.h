#pragma once
// A dense row-major fp32 tensor. It either owns its buffer or views memory owned elsewhere
// (an mmapped checkpoint), kept alive through `owner`.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace lmpipe {

using Shape = std::vector<int64_t>;

std::string shape_to_string(const Shape& shape);
int64_t shape_numel(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  static Tensor empty(Shape shape);  // uninitialized
  static Tensor zeros(Shape shape);
  // Views `data` without copying; `owner` keeps the memory alive (may be null for static data).
  static Tensor view(const float* data, Shape shape, std::shared_ptr<const void> owner);

  float* data() { return data_; }
  const float* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t size(int64_t d) const { return shape_.at(d < 0 ? d + dim() : d); }
  int64_t numel() const { return shape_numel(shape_); }
  bool defined() const { return data_ != nullptr || !shape_.empty(); }

  // Same storage, new shape with the same element count.
  Tensor reshape(Shape shape) const;
  Tensor clone() const;

 private:
  std::shared_ptr<const void> owner_;
  float* data_ = nullptr;
  Shape shape_;
};

}  // namespace lmpipe
