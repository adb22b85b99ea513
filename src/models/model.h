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

// The base encoder on its own (BertModel, RobertaModel, DistilBertModel, DebertaV2Model): what
// transformers' AutoModel returns, for features and sentence embeddings.
class TokenEncoder {
 public:
  virtual ~TokenEncoder() = default;
  // last_hidden_state (batch, seq_len, hidden_size)
  virtual Tensor encode(const Batch& batch) const = 0;
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

// Chooses the family from config.json (`architectures`, then `model_type`).
// Throws lmpipe::Error naming config.json and the architecture when it is not supported.
std::unique_ptr<SequenceClassifier> load_sequence_classifier(const std::filesystem::path& model_dir);

// As transformers' AutoModel / AutoModelForMaskedLM, these choose the family by config.json's
// `model_type` (then its `architectures`), whichever head the checkpoint was saved with: the
// encoder of a BertForPreTraining checkpoint, the MLM head of a BertForPreTraining one. Errors name
// config.json and the model type, or the checkpoint key a head lacks.
std::unique_ptr<TokenEncoder> load_encoder(const std::filesystem::path& model_dir);
std::unique_ptr<MaskedLM> load_masked_lm(const std::filesystem::path& model_dir);
std::unique_ptr<NextSentencePredictor> load_next_sentence_predictor(const std::filesystem::path& model_dir);

}  // namespace lmpipe
