#pragma once
// Shared by the pipelines: tokenizer encodings -> the (padded or packed) batches the models take, and the
// truncation limit of a model.
#include <cstdint>
#include <functional>
#include <string>
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

// Runs run(0) ... run(count - 1), batches of one call. `side_by_side` (a model whose calls run
// concurrently, TokenEncoder::encodes_concurrently): whole batches go to the threads, each
// forward on one thread, which beats every thread on each batch in turn (no barrier per matrix
// product, each batch's activations stay in one core's caches); the batches left over when fewer
// remain than threads then run one after another on all threads. run(i) must touch only what
// batch i owns. The first exception a batch throws reaches the caller.
void run_batches(size_t count, bool side_by_side, const std::function<void(size_t)>& run);

// The batch_size keyword argument every pipeline call takes (default 1): a positive integer.
size_t batch_size_option(const json& kwargs);

}  // namespace lmpipe
