#pragma once
// The loaders of each model family, called by registry.cpp. `config` is the parsed config.json.
#include <filesystem>
#include <memory>

#include "models/model.h"

namespace lmpipe {

std::unique_ptr<SequenceClassifier> load_bart_classifier(const std::filesystem::path& dir, const json& config);
// BERT, RoBERTa and XLM-RoBERTa: one encoder, the variants differ only in config.
std::unique_ptr<SequenceClassifier> load_bert_classifier(const std::filesystem::path& dir, const json& config);
std::unique_ptr<SequenceClassifier> load_distilbert_classifier(const std::filesystem::path& dir, const json& config);
std::unique_ptr<SequenceClassifier> load_deberta_v2_classifier(const std::filesystem::path& dir, const json& config);

}  // namespace lmpipe
