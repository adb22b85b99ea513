// Port of transformers v5 pipelines/feature_extraction.py (FeatureExtractionPipeline).
#include "lmpipe/feature_extraction.h"

#include <algorithm>
#include <cstring>

#include "lmpipe/tokenizer.h"
#include "models/model.h"
#include "pipelines/batching.h"
#include "util/error.h"

namespace lmpipe {

namespace {

// Inputs per forward pass.
constexpr size_t kMaxInputsPerForward = 16;

}  // namespace

struct FeatureExtractionPipeline::Impl {
  Tokenizer tokenizer;
  std::unique_ptr<TokenEncoder> model;
};

FeatureExtractionPipeline::FeatureExtractionPipeline(const std::filesystem::path& model_dir, const LoadOptions& options)
    : impl_(new Impl{Tokenizer::from_dir(model_dir), load_encoder(model_dir, options)}) {}

FeatureExtractionPipeline::~FeatureExtractionPipeline() = default;

int64_t FeatureExtractionPipeline::hidden_size() const { return impl_->model->hidden_size(); }

std::vector<TokenFeatures> FeatureExtractionPipeline::extract(const std::vector<std::string>& texts,
                                                              const FeatureExtractionOptions& options) const {
  for (const auto& text : texts)
    if (text.empty()) throw Error("feature-extraction: empty text");
  const int64_t max_positions = impl_->model->max_positions();
  EncodeOptions encode;
  encode.add_special_tokens = options.add_special_tokens;
  if (options.truncation) {
    encode.truncation = Truncation::LongestFirst;
    encode.max_length = truncation_length(impl_->tokenizer, max_positions, options.max_length);
  }
  std::vector<Encoding> encodings = impl_->tokenizer.encode_batch(texts, encode);
  for (const auto& e : encodings) {
    if (e.ids.empty()) throw Error("feature-extraction: the text has no tokens (add_special_tokens is false)");
    check_length(e, max_positions, "feature-extraction");
  }
  // Similar lengths share a forward pass, so little of it is padding.
  std::vector<size_t> order(texts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return encodings[a].size() > encodings[b].size(); });

  const int64_t H = impl_->model->hidden_size();
  std::vector<TokenFeatures> results(texts.size());
  for (size_t first = 0; first < order.size(); first += kMaxInputsPerForward) {
    const size_t end = std::min(order.size(), first + kMaxInputsPerForward);
    std::vector<Encoding> chunk;
    for (size_t i = first; i < end; ++i) chunk.push_back(encodings[order[i]]);
    const Batch batch = make_batch(chunk, impl_->tokenizer);
    const Tensor hidden = impl_->model->encode(batch);
    for (size_t i = first; i < end; ++i) {
      TokenFeatures& f = results[order[i]];
      f.tokens = static_cast<int64_t>(encodings[order[i]].size());
      f.hidden = H;
      const float* row = hidden.data() + static_cast<int64_t>(i - first) * batch.seq_len * H;
      f.values.assign(row, row + f.tokens * H);  // right padding: the input's tokens come first
    }
  }
  return results;
}

TokenFeatures FeatureExtractionPipeline::extract(const std::string& text, const FeatureExtractionOptions& options) const {
  return extract(std::vector<std::string>{text}, options).front();
}

json to_json(const TokenFeatures& features) {
  json rows = json::array();
  for (int64_t t = 0; t < features.tokens; ++t)
    rows.push_back(std::vector<float>(features.values.begin() + t * features.hidden,
                                      features.values.begin() + (t + 1) * features.hidden));
  return json::array({rows});
}

namespace {

// truncation=True / "longest_first" / "only_first" truncate; False / "do_not_truncate" do not.
bool truncation_of(const json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_string()) return value.get<std::string>() != "do_not_truncate";
  throw Error("feature-extraction: truncation must be a boolean or a strategy name");
}

FeatureExtractionOptions options_of(const json& kwargs) {
  if (!kwargs.is_object()) throw Error("feature-extraction: keyword arguments must be an object");
  FeatureExtractionOptions options;
  if (kwargs.contains("truncation") && kwargs.contains("tokenize_kwargs") && kwargs["tokenize_kwargs"].contains("truncation"))
    throw Error("feature-extraction: truncation parameter defined twice (given as keyword argument as well as in "
                "tokenize_kwargs)");
  for (const auto& [key, value] : kwargs.items()) {
    if (key == "truncation") {
      options.truncation = truncation_of(value);
    } else if (key == "batch_size") {  // Pipeline.__call__'s: results do not depend on it
      batch_size_option(kwargs);
    } else if (key == "tokenize_kwargs") {
      if (!value.is_object()) throw Error("feature-extraction: tokenize_kwargs must be an object");
      for (const auto& [k, v] : value.items()) {
        if (k == "truncation") {
          options.truncation = truncation_of(v);
        } else if (k == "max_length") {
          if (!v.is_number_integer() || v.get<int64_t>() <= 0)
            throw Error("feature-extraction: tokenize_kwargs.max_length must be a positive integer");
          options.max_length = v.get<size_t>();
        } else if (k == "add_special_tokens") {
          if (!v.is_boolean()) throw Error("feature-extraction: tokenize_kwargs.add_special_tokens must be a boolean");
          options.add_special_tokens = v.get<bool>();
        } else {
          throw Error("feature-extraction: unsupported tokenize_kwargs entry '" + k +
                      "' (supported: truncation, max_length, add_special_tokens)");
        }
      }
    } else {
      throw Error("feature-extraction: unknown keyword argument '" + key + "' (supported: truncation, tokenize_kwargs, batch_size)");
    }
  }
  return options;
}

std::vector<std::string> texts_of(const json& inputs) {
  if (!inputs.is_array()) throw Error("feature-extraction: inputs must be a string or a list of strings");
  std::vector<std::string> texts;
  for (const auto& t : inputs) {
    if (!t.is_string()) throw Error("feature-extraction: inputs must be strings");
    texts.push_back(t.get<std::string>());
  }
  return texts;
}

}  // namespace

json FeatureExtractionPipeline::operator()(const json& inputs, const json& kwargs) const {
  const FeatureExtractionOptions options = options_of(kwargs);
  if (inputs.is_string()) return to_json(extract(inputs.get<std::string>(), options));
  json out = json::array();
  for (const auto& f : extract(texts_of(inputs), options)) out.push_back(to_json(f));
  return out;
}

}  // namespace lmpipe
