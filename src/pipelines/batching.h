#pragma once
// Shared by the pipelines: tokenizer encodings -> the (padded or packed) batches the models take, and the
// truncation limit of a model.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "lmpipe/tokenizer.h"
#include "models/model.h"
#include "util/json.h"

namespace lmpipe {

// Pads `encodings` (right, with the tokenizer's pad token) and lays them out as one batch.
// token_type_ids only when the tokenizer returns them (model_input_names).
Batch make_batch(std::vector<Encoding>& encodings, const Tokenizer& tokenizer);
// The same sequences without padding, one after another (no copy of the encodings needed).
PackedBatch make_packed_batch(const std::vector<const Encoding*>& encodings, const Tokenizer& tokenizer);

// The longest input to truncate to: `requested` when given (> 0), else the tokenizer's
// model_max_length, never more than the model's positions (which would fail inside the model).
size_t truncation_length(const Tokenizer& tokenizer, int64_t model_max_positions, size_t requested = 0);

// Inputs of more tokens than the model holds fail with this message, naming the way out.
void check_length(const Encoding& encoding, int64_t model_max_positions, const std::string& task);

// The ranges [begin, end) run_batches hands out: consecutive runs of n items, at most batch_size
// each. With `threads` > 1 they shrink towards the end (each a 2·threads-th of what is left, at
// least kMinShare items), so the threads taking them in turn finish together: whole batches of
// 32 left one thread idle for 5-8 % of a run (the two vCPUs' speeds differ, a batch takes 100 ms).
inline constexpr size_t kMinShare = 8;
std::vector<std::pair<size_t, size_t>> batch_ranges(size_t n, size_t batch_size, int threads);

// Runs run(begin, end) over n items (in the order they should run: longest first) in ranges of at
// most batch_size. `side_by_side` (a model whose calls run concurrently,
// TokenEncoder::encodes_concurrently): the ranges go to the threads, each forward on one thread,
// which beats every thread on each batch in turn (no barrier per matrix product, each batch's
// activations stay in one core's caches); where that would give fewer than two ranges per thread,
// whole batches run one after another on all threads instead. run must touch only what its range
// owns. The first exception a range throws reaches the caller.
void run_batches(size_t n, size_t batch_size, bool side_by_side, const std::function<void(size_t, size_t)>& run);

// The batch_size keyword argument every pipeline call takes (default 1): a positive integer.
size_t batch_size_option(const json& kwargs);

}  // namespace lmpipe
