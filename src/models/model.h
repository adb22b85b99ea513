#pragma once
// What pipelines see of a model: batched inputs in, logits or hidden states out. One small
// interface per capability (sequence classification, hidden states, masked-LM logits, next-sentence
// prediction); each family (bart.cpp, bert.cpp, distilbert.cpp, deberta_v2.cpp, ...) implements
// those it supports and registers itself in registry.cpp by config.json `architectures` / `model_type`.
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

// The base encoder on its own (BertModel, RobertaModel, DistilBertModel, DebertaV2Model): what
// transformers' AutoModel returns, for features and sentence embeddings.
class TokenEncoder {
 public:
  virtual ~TokenEncoder() = default;
  // last_hidden_state (batch, seq_len, hidden_size)
  virtual Tensor encode(const Batch& batch) const = 0;
  // The same for a packed batch, no work spent on padding: (batch.tokens(), hidden_size), sequence
  // after sequence. By default the batch is padded and encode()d.
  virtual Tensor encode_packed(const PackedBatch& batch) const;
  // True where concurrent encode / encode_packed calls run side by side (each on buffers of its
  // own); false where they take turns.
  virtual bool encodes_concurrently() const { return false; }
  virtual int64_t hidden_size() const = 0;
  virtual int64_t max_positions() const = 0;
};

// An encoder with its masked-LM head (*ForMaskedLM, BertForPreTraining).
class MaskedLM {
 public:
  virtual ~MaskedLM() = default;
  // Vocabulary logits (positions.size(), vocab_size) at the flat token positions b·seq_len + t
  // only: the projection onto the vocabulary is the model's largest matrix product.
  virtual Tensor logits_at(const Batch& batch, const std::vector<int64_t>& positions) const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual int64_t max_positions() const = 0;
};

// BERT's next-sentence head (BertForNextSentencePrediction, BertForPreTraining).
class NextSentencePredictor {
 public:
  virtual ~NextSentencePredictor() = default;
  // logits (batch, 2) of (text, text_pair) batches: column 0 "IsNext" (text_pair continues text),
  // column 1 "NotNext".
  virtual Tensor next_sentence_logits(const Batch& batch) const = 0;
  virtual int64_t max_positions() const = 0;
};

// Chooses the family from config.json (`architectures`, then `model_type`); `options` (the dtype)
// reach the family's loader through ModelConfig::load_options().
// Throws lmpipe::Error naming config.json and the architecture when it is not supported.
std::unique_ptr<SequenceClassifier> load_sequence_classifier(const std::filesystem::path& model_dir,
                                                             const LoadOptions& options = {});

// As transformers' AutoModel / AutoModelForMaskedLM, these choose the family by config.json's
// `model_type` (then its `architectures`), whichever head the checkpoint was saved with: the
// encoder of a BertForPreTraining checkpoint, the MLM head of a BertForPreTraining one. Errors name
// config.json and the model type, or the checkpoint key a head lacks.
// `options` as for load_sequence_classifier.
std::unique_ptr<TokenEncoder> load_encoder(const std::filesystem::path& model_dir, const LoadOptions& options = {});
std::unique_ptr<MaskedLM> load_masked_lm(const std::filesystem::path& model_dir, const LoadOptions& options = {});
std::unique_ptr<NextSentencePredictor> load_next_sentence_predictor(const std::filesystem::path& model_dir,
                                                                    const LoadOptions& options = {});

}  // namespace lmpipe
