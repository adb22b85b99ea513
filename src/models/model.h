#pragma once
// What pipelines see of a model: batched inputs in, logits or hidden states out.
// Each family (bart.cpp, bert.cpp, distilbert.cpp, deberta_v2.cpp, ...) implements these and
// registers itself in registry.cpp by its config.json `architectures` / `model_type`.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lmpipe/load_options.h"
#include "tensor/tensor.h"
#include "util/json.h"

namespace lmpipe {

// A padded batch: row-major (batch, seq_len). Missing token_type_ids means all zeros.
struct Batch {
  int64_t batch = 0, seq_len = 0;
  std::vector<int32_t> input_ids;
  std::vector<int32_t> attention_mask;
  std::vector<int32_t> token_type_ids;
};

// Sequences of different lengths concatenated without padding (a "packed" or "varlen" batch, as
// FlashAttention's cu_seqlens): sequence b is tokens [offsets[b], offsets[b+1]). Models run their
// linear layers over all tokens of all sequences at once and attention within each sequence, so
// no work goes to padding, and a sequence's outputs do not depend on which others share the batch.
struct PackedBatch {
  std::vector<int32_t> input_ids;       // (tokens)
  std::vector<int32_t> token_type_ids;  // (tokens); empty means all zeros
  std::vector<int64_t> offsets{0};      // (batch + 1), offsets[0] = 0, non-decreasing

  int64_t batch() const { return static_cast<int64_t>(offsets.size()) - 1; }
  int64_t tokens() const { return offsets.back(); }
  int64_t length(int64_t b) const { return offsets[b + 1] - offsets[b]; }
  // Appends one sequence; type_ids is empty or holds one id per token (then every sequence must).
  void add(const std::vector<int32_t>& ids, const std::vector<int32_t>& type_ids = {}) {
    input_ids.insert(input_ids.end(), ids.begin(), ids.end());
    token_type_ids.insert(token_type_ids.end(), type_ids.begin(), type_ids.end());
    offsets.push_back(offsets.back() + static_cast<int64_t>(ids.size()));
  }
};

// config.json's label maps, shared by every *ForSequenceClassification.
struct LabelMaps {
  std::map<int, std::string> id2label;
  std::map<std::string, int> label2id;
};

class SequenceClassifier {
 public:
  virtual ~SequenceClassifier() = default;
  // logits (batch, num_labels)
  virtual Tensor classify(const Batch& batch) const = 0;
  // logits (batch(), num_labels) of a packed batch. The default pads it into a Batch; the
  // families with a packed forward (BART, BERT/RoBERTa, DistilBERT) override it.
  virtual Tensor classify_packed(const PackedBatch& batch) const;
  virtual const LabelMaps& labels() const = 0;
  // Longest input the position embeddings allow (tokens), for truncation.
  virtual int64_t max_positions() const = 0;
};

// Chooses the family from config.json (`architectures`, then `model_type`); `options` (the dtype)
// reach the family's loader through ModelConfig::load_options().
// Throws lmpipe::Error naming config.json and the architecture when it is not supported.
std::unique_ptr<SequenceClassifier> load_sequence_classifier(const std::filesystem::path& model_dir,
                                                             const LoadOptions& options = {});

}  // namespace lmpipe
