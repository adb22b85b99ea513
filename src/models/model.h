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
  virtual const LabelMaps& labels() const = 0;
  // Longest input the position embeddings allow (tokens), for truncation.
  virtual int64_t max_positions() const = 0;
};

// Chooses the family from config.json (`architectures`, then `model_type`).
// Throws lmpipe::Error naming config.json and the architecture when it is not supported.
std::unique_ptr<SequenceClassifier> load_sequence_classifier(const std::filesystem::path& model_dir);

}  // namespace lmpipe
