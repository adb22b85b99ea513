#include "tensor/tensor.h"

#include <cstring>

#include "util/error.h"

namespace lmpipe {

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Tensor Tensor::empty(Shape shape) {
  Tensor t;
  t.shape_ = std::move(shape);
  size_t n = static_cast<size_t>(shape_numel(t.shape_));
  // 64-byte alignment so SIMD kernels and GEMM libraries get aligned rows.
  float* p = static_cast<float*>(::operator new[](std::max<size_t>(n, 1) * sizeof(float), std::align_val_t(64)));
  t.owner_ = std::shared_ptr<const void>(p, [](const void* q) {
    ::operator delete[](const_cast<void*>(q), std::align_val_t(64));
  });
  t.data_ = p;
  return t;
}

Tensor Tensor::zeros(Shape shape) {
  Tensor t = empty(std::move(shape));
  std::memset(t.data_, 0, static_cast<size_t>(t.numel()) * sizeof(float));
  return t;
}

Tensor Tensor::view(const float* data, Shape shape, std::shared_ptr<const void> owner) {
  Tensor t;
  t.owner_ = std::move(owner);
  t.data_ = const_cast<float*>(data);  // views of weights are only read; the API keeps them const by convention
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::reshape(Shape shape) const {
  if (shape_numel(shape) != numel())
    throw Error("reshape: " + shape_to_string(shape_) + " cannot become " + shape_to_string(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t = empty(shape_);
  std::memcpy(t.data_, data_, static_cast<size_t>(numel()) * sizeof(float));
  return t;
}

}  // namespace lmpipe
