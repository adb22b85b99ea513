#pragma once
// The self-attention keys and values a decoder keeps between generation steps (transformers'
// DynamicCache, preallocated like its StaticCache): `rows` sequences (batch · beams) with room for
// `capacity` tokens each, allocated once per generate() call.
#include <cstdint>
#include <memory>
#include <vector>

namespace lmpipe {

class KVCache {
 public:
  KVCache() = default;
  // width: keys (or values) per token and layer, i.e. heads · head_dim.
  KVCache(int64_t layers, int64_t rows, int64_t capacity, int64_t width);
  // Empties the cache for new dimensions, reusing its memory when it is large enough.
  void reset(int64_t layers, int64_t rows, int64_t capacity, int64_t width);

  int64_t rows() const { return rows_; }
  int64_t capacity() const { return capacity_; }
  int64_t width() const { return width_; }
  // Tokens cached per row (every row holds the same number).
  int64_t length() const { return length_; }

  // Row 0 of a layer; row r starts row_stride() floats later, token t of a row t·width() later.
  float* keys(int64_t layer) { return k_.get() + layer * layer_stride(); }
  float* values(int64_t layer) { return v_.get() + layer * layer_stride(); }
  int64_t row_stride() const { return capacity_ * width_; }

  // Stores the keys/values of `T` new tokens for rows [0, rows) of one layer, k/v (rows, T) with
  // token stride `stride`, after the cached ones. Throws lmpipe::Error when they do not fit.
  void write(int64_t layer, int64_t rows, const float* k, const float* v, int64_t T, int64_t stride);
  // Once every layer has written its T new tokens.
  void advance(int64_t T);

  // Beam search: row i continues row parent[i]. Copies only the cached tokens of the rows that
  // change; rows that keep their own sequence are not touched.
  void reorder(const std::vector<int32_t>& parent);
  // Rows [0, rows/copies) were filled (one per distinct input); row r's tokens now also fill rows
  // r·copies .. r·copies + copies - 1 (each input's beams start equal).
  void replicate(int64_t copies);

 private:
  int64_t layer_stride() const { return rows_ * capacity_ * width_; }
  void copy_row(int64_t from, int64_t to);

  int64_t layers_ = 0, rows_ = 0, capacity_ = 0, width_ = 0, length_ = 0;
  // (layers, rows, capacity, width), left uninitialized: only the filled tokens are ever read,
  // and untouched capacity costs no page faults.
  std::unique_ptr<float[]> k_, v_;
  size_t allocated_ = 0;
  std::vector<float> staging_;  // reorder's copies of the parent rows
};

}  // namespace lmpipe
