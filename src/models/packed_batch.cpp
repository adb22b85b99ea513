// classify_packed / encode_packed for the families without a packed forward: pad, then run the
// padded forward.
#include <algorithm>

#include "models/layers.h"
#include "models/model.h"

namespace lmpipe {

namespace {

Batch padded(const PackedBatch& packed, const char* caller) {
  nn::check_packed(packed, caller);
  Batch batch;
  batch.batch = packed.batch();
  for (int64_t b = 0; b < packed.batch(); ++b) batch.seq_len = std::max(batch.seq_len, packed.length(b));
  const size_t n = static_cast<size_t>(batch.batch * batch.seq_len);
  // Right padding with id 0, masked; every family's padded forward ignores the padded keys.
  batch.input_ids.assign(n, 0);
  batch.attention_mask.assign(n, 0);
  if (!packed.token_type_ids.empty()) batch.token_type_ids.assign(n, 0);
  for (int64_t b = 0; b < packed.batch(); ++b)
    for (int64_t t = 0; t < packed.length(b); ++t) {
      const size_t row = static_cast<size_t>(b * batch.seq_len + t), src = static_cast<size_t>(packed.offsets[b] + t);
      batch.input_ids[row] = packed.input_ids[src];
      batch.attention_mask[row] = 1;
      if (!packed.token_type_ids.empty()) batch.token_type_ids[row] = packed.token_type_ids[src];
    }
  return batch;
}

}  // namespace

Tensor SequenceClassifier::classify_packed(const PackedBatch& packed) const {
  return classify(padded(packed, "classify_packed"));
}

Tensor TokenEncoder::encode_packed(const PackedBatch& packed) const {
  const Batch batch = padded(packed, "encode_packed");
  const Tensor hidden = encode(batch);
  const int64_t H = hidden.size(2);
  Tensor out = Tensor::empty({packed.tokens(), H});
  for (int64_t b = 0; b < packed.batch(); ++b)
    std::copy_n(hidden.data() + b * batch.seq_len * H, packed.length(b) * H, out.data() + packed.offsets[b] * H);
  return out;
}

}  // namespace lmpipe
