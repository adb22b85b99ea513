#pragma once
// The loaders of each model family, called by registry.cpp. `config` is the model's config.json.
#include <filesystem>
#include <memory>

#include "io/config.h"
#include "models/model.h"

namespace lmpipe {

std::unique_ptr<SequenceClassifier> load_bart_classifier(const std::filesystem::path& dir, const ModelConfig& config);
// BERT, RoBERTa and XLM-RoBERTa: one encoder, the variants differ only in config.
std::unique_ptr<SequenceClassifier> load_bert_classifier(const std::filesystem::path& dir, const ModelConfig& config);
std::unique_ptr<SequenceClassifier> load_distilbert_classifier(const std::filesystem::path& dir, const ModelConfig& config);
std::unique_ptr<SequenceClassifier> load_deberta_v2_classifier(const std::filesystem::path& dir, const ModelConfig& config);

// Base encoders, from bare checkpoints or from any *For* checkpoint of the family (heads ignored).
std::unique_ptr<TokenEncoder> load_bert_encoder(const std::filesystem::path& dir, const ModelConfig& config);
std::unique_ptr<TokenEncoder> load_distilbert_encoder(const std::filesystem::path& dir, const ModelConfig& config);
std::unique_ptr<TokenEncoder> load_deberta_v2_encoder(const std::filesystem::path& dir, const ModelConfig& config);

// Masked-LM heads: BertForMaskedLM / BertForPreTraining, Roberta/XLMRoberta/CamembertForMaskedLM,
// DistilBertForMaskedLM, DebertaV2ForMaskedLM.
std::unique_ptr<MaskedLM> load_bert_masked_lm(const std::filesystem::path& dir, const ModelConfig& config);
std::unique_ptr<MaskedLM> load_distilbert_masked_lm(const std::filesystem::path& dir, const ModelConfig& config);
std::unique_ptr<MaskedLM> load_deberta_v2_masked_lm(const std::filesystem::path& dir, const ModelConfig& config);

// BertForNextSentencePrediction / BertForPreTraining.
std::unique_ptr<NextSentencePredictor> load_bert_next_sentence(const std::filesystem::path& dir, const ModelConfig& config);

}  // namespace lmpipe
