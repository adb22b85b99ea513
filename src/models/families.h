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

}  // namespace lmpipe
