// Next-sentence prediction: the tokenizer's (text, text_pair) encoding through
// BertForNextSentencePrediction (transformers v5 models/bert/modeling_bert.py), softmax of the logits.
#include "lmpipe/next_sentence.h"

#include <algorithm>
#include <cmath>

#include "lmpipe/tokenizer.h"
#include "models/model.h"
#include "pipelines/batching.h"
#include "util/error.h"
#include "util/log.h"

namespace lmpipe {

namespace {

// Pairs per forward pass.
constexpr size_t kMaxPairsPerForward = 16;

}  // namespace

struct NextSentencePredictionPipeline::Impl {
  Tokenizer tokenizer;
  std::unique_ptr<NextSentencePredictor> model;
};

NextSentencePredictionPipeline::NextSentencePredictionPipeline(const std::filesystem::path& model_dir,
                                                               const LoadOptions& options)
    : impl_(new Impl{Tokenizer::from_dir(model_dir), load_next_sentence_predictor(model_dir, options)}) {}

NextSentencePredictionPipeline::~NextSentencePredictionPipeline() = default;

std::vector<NextSentenceResult> NextSentencePredictionPipeline::predict(
    const std::vector<std::pair<std::string, std::string>>& pairs) const {
  for (const auto& [text, pair] : pairs)
    if (text.empty() || pair.empty()) throw Error("next-sentence: text and text_pair must not be empty");
  EncodeOptions encode;
  encode.truncation = Truncation::LongestFirst;
  encode.max_length = truncation_length(impl_->tokenizer, impl_->model->max_positions());
  std::vector<NextSentenceResult> results;
  for (size_t first = 0; first < pairs.size(); first += kMaxPairsPerForward) {
    const std::vector<std::pair<std::string, std::string>> chunk(
        pairs.begin() + first, pairs.begin() + std::min(pairs.size(), first + kMaxPairsPerForward));
    std::vector<Encoding> encodings = impl_->tokenizer.encode_pair_batch(chunk, encode);
    for (const auto& e : encodings)
      if (e.truncated)
        log_warning_once("next-sentence: input truncated to " + std::to_string(encode.max_length) +
                         " tokens (the model's maximum, both texts together)");
    const Tensor logits = impl_->model->next_sentence_logits(make_batch(encodings, impl_->tokenizer));
    for (size_t i = 0; i < chunk.size(); ++i) {
      NextSentenceResult r{chunk[i].first, chunk[i].second, {}, {}};
      const float* l = logits.data() + 2 * i;
      const double m = std::max(l[0], l[1]), e0 = std::exp(l[0] - m), e1 = std::exp(l[1] - m);
      r.logits = {l[0], l[1]};
      r.probs = {static_cast<float>(e0 / (e0 + e1)), static_cast<float>(e1 / (e0 + e1))};
      results.push_back(std::move(r));
    }
  }
  return results;
}

NextSentenceResult NextSentencePredictionPipeline::predict(const std::string& text, const std::string& text_pair) const {
  return predict({{text, text_pair}}).front();
}

json to_json(const NextSentenceResult& r) {
  json out = json::object();
  out["text"] = r.text;
  out["text_pair"] = r.text_pair;
  out["is_next"] = r.is_next();
  out["probs"] = r.probs;
  out["logits"] = r.logits;
  return out;
}

namespace {

std::pair<std::string, std::string> pair_of(const json& j) {
  if (j.is_object() && j.contains("text") && j.contains("text_pair") && j["text"].is_string() &&
      j["text_pair"].is_string())
    return {j["text"].get<std::string>(), j["text_pair"].get<std::string>()};
  if (j.is_array() && j.size() == 2 && j[0].is_string() && j[1].is_string())
    return {j[0].get<std::string>(), j[1].get<std::string>()};
  throw Error("next-sentence: each input must be {\"text\": ..., \"text_pair\": ...} or a [text, text_pair] list");
}

}  // namespace

json NextSentencePredictionPipeline::operator()(const json& inputs, const json& kwargs) const {
  if (!kwargs.is_object() || !kwargs.empty()) throw Error("next-sentence: takes no keyword arguments");
  const bool single = inputs.is_object() || (inputs.is_array() && inputs.size() == 2 && inputs[0].is_string());
  if (single) return to_json(predict({pair_of(inputs)}).front());
  if (!inputs.is_array()) throw Error("next-sentence: inputs must be a pair or a list of pairs");
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& j : inputs) pairs.push_back(pair_of(j));
  json out = json::array();
  for (const auto& r : predict(pairs)) out.push_back(to_json(r));
  return out;
}

}  // namespace lmpipe
