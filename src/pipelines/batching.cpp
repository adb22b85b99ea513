#include "pipelines/batching.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <mutex>

#include "kernels/kernels.h"
#include "util/error.h"

namespace lmpipe {

Batch make_batch(std::vector<Encoding>& encodings, const Tokenizer& tokenizer) {
  tokenizer.pad(encodings, PaddingSide::Right);
  Batch batch;
  batch.batch = static_cast<int64_t>(encodings.size());
  batch.seq_len = encodings.empty() ? 0 : static_cast<int64_t>(encodings[0].size());
  const bool with_types = tokenizer.returns_token_type_ids();
  for (const auto& e : encodings) {
    batch.input_ids.insert(batch.input_ids.end(), e.ids.begin(), e.ids.end());
    batch.attention_mask.insert(batch.attention_mask.end(), e.attention_mask.begin(), e.attention_mask.end());
    if (with_types) batch.token_type_ids.insert(batch.token_type_ids.end(), e.type_ids.begin(), e.type_ids.end());
  }
  return batch;
}

PackedBatch make_packed_batch(const std::vector<const Encoding*>& encodings, const Tokenizer& tokenizer) {
  PackedBatch batch;
  const bool with_types = tokenizer.returns_token_type_ids();
  for (const Encoding* e : encodings) batch.add(e->ids, with_types ? e->type_ids : std::vector<int32_t>{});
  return batch;
}

size_t truncation_length(const Tokenizer& tokenizer, int64_t model_max_positions, size_t requested) {
  const size_t limit = static_cast<size_t>(model_max_positions);
  return std::min(requested > 0 ? requested : tokenizer.model_max_length(), limit);
}

void check_length(const Encoding& encoding, int64_t model_max_positions, const std::string& task) {
  if (static_cast<int64_t>(encoding.size()) > model_max_positions)
    throw Error(task + ": the input is " + std::to_string(encoding.size()) + " tokens, more than the model's " +
                std::to_string(model_max_positions) + " positions; truncate it (truncation=true)");
}

size_t batch_size_option(const json& kwargs) {
  auto it = kwargs.find("batch_size");
  if (it == kwargs.end() || it->is_null()) return 1;
  if (!it->is_number_integer() || it->get<int64_t>() < 1) throw Error("batch_size must be a positive integer, got " + it->dump());
  return it->get<size_t>();
}

std::vector<std::pair<size_t, size_t>> batch_ranges(size_t n, size_t batch_size, int threads) {
  if (batch_size == 0) throw Error("batch_size must be positive");
  const size_t share = 2 * static_cast<size_t>(std::max(threads, 1));
  std::vector<std::pair<size_t, size_t>> ranges;
  for (size_t begin = 0; begin < n;) {
    const size_t left = n - begin;
    size_t size = batch_size;
    if (threads > 1) size = std::min(batch_size, std::max(kMinShare, (left + share - 1) / share));
    ranges.emplace_back(begin, begin + std::min(size, left));
    begin = ranges.back().second;
  }
  return ranges;
}

void run_batches(size_t n, size_t batch_size, bool side_by_side, const std::function<void(size_t, size_t)>& run) {
  // Side by side only where the kernels' own parallel regions then get one thread each (OpenMP's
  // default of one active level; more would put threads² threads on the cores).
  const int threads = side_by_side && omp_get_max_active_levels() <= 1 ? kernels::num_threads() : 1;
  const std::vector<std::pair<size_t, size_t>> ranges = batch_ranges(n, batch_size, threads);
  if (threads <= 1 || ranges.size() < 2 * static_cast<size_t>(threads)) {
    for (const auto& [begin, end] : batch_ranges(n, batch_size, 1)) run(begin, end);
    return;
  }
  std::exception_ptr error;
  std::mutex mutex;
  const int64_t count = static_cast<int64_t>(ranges.size());
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t i = 0; i < count; ++i) {
    try {
      run(ranges[i].first, ranges[i].second);
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace lmpipe
