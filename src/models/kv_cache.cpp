#include "models/kv_cache.h"

#include <unistd.h>

#include <cstring>
#include <string>

#include "kernels/kernels.h"
#include "util/error.h"

namespace lmpipe {

KVCache::KVCache(int64_t layers, int64_t rows, int64_t capacity, int64_t width) {
  reset(layers, rows, capacity, width);
}

void KVCache::reset(int64_t layers, int64_t rows, int64_t capacity, int64_t width) {
  if (layers <= 0 || rows <= 0 || capacity <= 0 || width <= 0)
    throw Error("KVCache: layers, rows, capacity and width must be positive");
  // Refuse what cannot fit rather than dying on an allocation: keys and values together.
  const double bytes = 2.0 * sizeof(float) * static_cast<double>(layers) * rows * capacity * width;
  const double memory = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGE_SIZE));
  if (bytes > memory / 2)
    throw Error("the key/value cache for " + std::to_string(rows) + " sequences of " + std::to_string(capacity) +
                " tokens needs " + std::to_string(static_cast<int64_t>(bytes / 1e9)) + " GB, more than half of this " +
                "machine's memory: ask for fewer new tokens (max_new_tokens) or fewer beams/sequences");
  layers_ = layers, rows_ = rows, capacity_ = capacity, width_ = width, length_ = 0;
  const size_t n = static_cast<size_t>(layers * rows * capacity * width);
  if (allocated_ < n) {
    k_.reset(new float[n]);
    v_.reset(new float[n]);
    allocated_ = n;
  }
}

void KVCache::write(int64_t layer, int64_t rows, const float* k, const float* v, int64_t T, int64_t stride) {
  if (length_ + T > capacity_)
    throw Error("KVCache: " + std::to_string(length_ + T) + " tokens exceed the cache's capacity " +
                std::to_string(capacity_));
  float* keys_out = keys(layer);
  float* values_out = values(layer);
  if (rows > rows_) throw Error("KVCache: " + std::to_string(rows) + " rows exceed the cache's " + std::to_string(rows_));
  // A prefill writes megabytes to fresh pages: the copies run on every thread.
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t src = r * T * stride, dst = r * row_stride() + length_ * width_;
    kernels::copy_rows(k + src, stride, keys_out + dst, width_, T, width_);
    kernels::copy_rows(v + src, stride, values_out + dst, width_, T, width_);
  }
}

void KVCache::advance(int64_t T) { length_ += T; }

void KVCache::copy_row(int64_t from, int64_t to) {
  const size_t bytes = sizeof(float) * length_ * width_;
  for (int64_t l = 0; l < layers_; ++l) {
    std::memcpy(keys(l) + to * row_stride(), keys(l) + from * row_stride(), bytes);
    std::memcpy(values(l) + to * row_stride(), values(l) + from * row_stride(), bytes);
  }
}

void KVCache::reorder(const std::vector<int32_t>& parent) {
  if (static_cast<int64_t>(parent.size()) != rows_) throw Error("KVCache::reorder: one parent per row expected");
  std::vector<int64_t> changed;
  for (int64_t r = 0; r < rows_; ++r) {
    if (parent[r] < 0 || parent[r] >= rows_) throw Error("KVCache::reorder: parent row out of range");
    if (parent[r] != r) changed.push_back(r);
  }
  if (changed.empty() || length_ == 0) return;
  // Stage the parents first: a parent may itself be overwritten by another row's parent.
  const int64_t n = length_ * width_;
  staging_.resize(static_cast<size_t>(changed.size() * layers_ * 2 * n));
  float* stage = staging_.data();
  for (int64_t r : changed)
    for (int64_t l = 0; l < layers_; ++l, stage += 2 * n) {
      std::memcpy(stage, keys(l) + parent[r] * row_stride(), sizeof(float) * n);
      std::memcpy(stage + n, values(l) + parent[r] * row_stride(), sizeof(float) * n);
    }
  stage = staging_.data();
  for (int64_t r : changed)
    for (int64_t l = 0; l < layers_; ++l, stage += 2 * n) {
      std::memcpy(keys(l) + r * row_stride(), stage, sizeof(float) * n);
      std::memcpy(values(l) + r * row_stride(), stage + n, sizeof(float) * n);
    }
}

void KVCache::replicate(int64_t copies) {
  if (copies <= 1) return;
  if (rows_ % copies != 0) throw Error("KVCache::replicate: rows are not a multiple of the copies");
  // From the last input down: row r's copies land at or after row r, past every row still unread.
  for (int64_t r = rows_ / copies - 1; r >= 0; --r)
    for (int64_t c = copies - 1; c >= 0; --c)
      if (r * copies + c != r) copy_row(r, r * copies + c);
}

}  // namespace lmpipe
