// Port of transformers v5 pipelines/fill_mask.py (FillMaskPipeline: preprocess, postprocess,
// get_target_ids, _sanitize_parameters).
#include "lmpipe/fill_mask.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "kernels/kernels.h"
#include "lmpipe/tokenizer.h"
#include "models/model.h"
#include "pipelines/batching.h"
#include "util/error.h"
#include "util/log.h"

namespace lmpipe {

namespace {

// Inputs per forward pass.
constexpr size_t kMaxInputsPerForward = 8;

// Softmax of one position's logits over the whole vocabulary, in float32 as torch computes it.
std::vector<float> softmax(const float* logits, int64_t n) {
  std::vector<float> p(logits, logits + n);
  kernels::softmax_rows(p.data(), 1, n);
  return p;
}

// Indices of the k largest of `scores`, highest first (ties: lower index first).
std::vector<size_t> top_indices(const std::vector<float>& scores, size_t k) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  k = std::min(k, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](size_t a, size_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
  order.resize(k);
  return order;
}

std::string preview(const std::string& text) { return text.size() > 60 ? text.substr(0, 57) + "..." : text; }

}  // namespace

struct FillMaskPipeline::Impl {
  Tokenizer tokenizer;
  std::unique_ptr<MaskedLM> model;
  std::string mask_token;
  int32_t mask_id = -1;

  // get_target_ids: exact vocabulary entries, else the first token of the target, with a warning.
  std::vector<int32_t> target_ids(const std::vector<std::string>& targets) const;
  FillMaskResult postprocess(const Encoding& encoding, const float* logits, const std::vector<int32_t>& targets,
                             int64_t top_k) const;
};

FillMaskPipeline::FillMaskPipeline(const std::filesystem::path& model_dir, const LoadOptions& options)
    : impl_(new Impl{Tokenizer::from_dir(model_dir), load_masked_lm(model_dir, options), "", -1}) {
  const auto token = impl_->tokenizer.mask_token();
  if (!token)
    throw Error((model_dir / "tokenizer_config.json").string() + ": The tokenizer does not define a `mask_token`.");
  impl_->mask_token = *token;
  impl_->mask_id = *impl_->tokenizer.mask_token_id();
}

FillMaskPipeline::~FillMaskPipeline() = default;

const std::string& FillMaskPipeline::mask_token() const { return impl_->mask_token; }

std::vector<int32_t> FillMaskPipeline::Impl::target_ids(const std::vector<std::string>& targets) const {
  std::set<int32_t> ids;
  for (const auto& target : targets) {
    if (auto id = tokenizer.token_to_id(target)) {
      ids.insert(*id);
      continue;
    }
    EncodeOptions first_token;
    first_token.add_special_tokens = false;
    first_token.truncation = Truncation::LongestFirst;
    first_token.max_length = 1;
    const Encoding e = tokenizer.encode(target, first_token);
    if (e.ids.empty()) {
      log_warning("The specified target token `" + target +
                  "` does not exist in the model vocabulary. We cannot replace it with anything meaningful, ignoring it");
      continue;
    }
    log_warning("The specified target token `" + target + "` does not exist in the model vocabulary. Replacing with `" +
                tokenizer.id_to_token(e.ids[0]).value_or("") + "`.");
    ids.insert(e.ids[0]);
  }
  if (ids.empty()) throw Error("fill-mask: At least one target must be provided when passed.");
  return {ids.begin(), ids.end()};
}

// postprocess: per mask, the top_k of the softmax (restricted to the targets when given), each
// with the input decoded with that one mask filled.
FillMaskResult FillMaskPipeline::Impl::postprocess(const Encoding& encoding, const float* logits,
                                                   const std::vector<int32_t>& targets, int64_t top_k) const {
  const int64_t V = model->vocab_size();
  std::vector<size_t> masks;
  for (size_t t = 0; t < encoding.ids.size(); ++t)
    if (encoding.ids[t] == mask_id) masks.push_back(t);
  const bool single_mask = masks.size() == 1;
  const std::optional<int32_t> pad = tokenizer.pad_token_id();
  FillMaskResult result;
  for (size_t m = 0; m < masks.size(); ++m) {
    std::vector<float> scores = softmax(logits + static_cast<int64_t>(m) * V, V);
    if (!targets.empty()) {
      std::vector<float> probs = std::move(scores);
      scores.clear();
      for (int32_t id : targets) scores.push_back(id < V ? probs[id] : 0.f);
    }
    std::vector<FillMaskCandidate> row;
    for (size_t i : top_indices(scores, static_cast<size_t>(top_k))) {
      const int32_t token = targets.empty() ? static_cast<int32_t>(i) : targets[i];
      std::vector<int32_t> ids;
      for (size_t t = 0; t < encoding.ids.size(); ++t) {
        const int32_t id = t == masks[m] ? token : encoding.ids[t];
        if (!pad || id != *pad) ids.push_back(id);
      }
      // Several masks keep the special tokens, so the other masks stay visible.
      row.push_back({scores[i], token, tokenizer.decode({token}, false), tokenizer.decode(ids, single_mask)});
    }
    result.push_back(std::move(row));
  }
  return result;
}

std::vector<FillMaskResult> FillMaskPipeline::fill(const std::vector<std::string>& texts,
                                                   const FillMaskOptions& options) const {
  if (options.top_k < 0) throw Error("fill-mask: top_k must not be negative, got " + std::to_string(options.top_k));
  const std::vector<int32_t> targets = options.targets.empty() ? std::vector<int32_t>{} : impl_->target_ids(options.targets);
  const int64_t max_positions = impl_->model->max_positions();
  EncodeOptions encode;
  if (options.truncation) {
    encode.truncation = Truncation::LongestFirst;
    encode.max_length = truncation_length(impl_->tokenizer, max_positions, options.max_length);
  }
  std::vector<Encoding> encodings = impl_->tokenizer.encode_batch(texts, encode);
  for (size_t i = 0; i < texts.size(); ++i) {
    if (std::find(encodings[i].ids.begin(), encodings[i].ids.end(), impl_->mask_id) == encodings[i].ids.end())
      throw Error("fill-mask: No mask_token (" + impl_->mask_token + ") found on the input \"" + preview(texts[i]) + "\"");
    check_length(encodings[i], max_positions, "fill-mask");
  }

  std::vector<FillMaskResult> results;
  for (size_t first = 0; first < encodings.size(); first += kMaxInputsPerForward) {
    const size_t end = std::min(encodings.size(), first + kMaxInputsPerForward);
    std::vector<Encoding> chunk(encodings.begin() + first, encodings.begin() + end);
    const Batch batch = make_batch(chunk, impl_->tokenizer);
    std::vector<int64_t> positions;  // every mask of the chunk, row by row
    for (int64_t r = 0; r < batch.batch; ++r)
      for (int64_t t = 0; t < batch.seq_len; ++t)
        if (batch.input_ids[r * batch.seq_len + t] == impl_->mask_id && batch.attention_mask[r * batch.seq_len + t])
          positions.push_back(r * batch.seq_len + t);
    const Tensor logits = impl_->model->logits_at(batch, positions);
    int64_t row = 0;
    for (size_t i = first; i < end; ++i) {
      results.push_back(impl_->postprocess(encodings[i], logits.data() + row * logits.size(1), targets, options.top_k));
      row += static_cast<int64_t>(results.back().size());
    }
  }
  return results;
}

FillMaskResult FillMaskPipeline::fill(const std::string& text, const FillMaskOptions& options) const {
  return fill(std::vector<std::string>{text}, options).front();
}

json to_json(const FillMaskCandidate& c) {
  json out = json::object();
  out["score"] = c.score;
  out["token"] = c.token;
  out["token_str"] = c.token_str;
  out["sequence"] = c.sequence;
  return out;
}

json to_json(const FillMaskResult& result) {
  auto row_json = [](const std::vector<FillMaskCandidate>& row) {
    json out = json::array();
    for (const auto& c : row) out.push_back(to_json(c));
    return out;
  };
  if (result.size() == 1) return row_json(result[0]);
  json out = json::array();
  for (const auto& row : result) out.push_back(row_json(row));
  return out;
}

namespace {

std::vector<std::string> strings_of(const json& value, const std::string& what) {
  if (value.is_string()) return {value.get<std::string>()};
  if (!value.is_array()) throw Error("fill-mask: " + what + " must be a string or a list of strings");
  std::vector<std::string> out;
  for (const auto& v : value) {
    if (!v.is_string()) throw Error("fill-mask: " + what + " must be strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

FillMaskOptions options_of(const json& kwargs) {
  FillMaskOptions options;
  if (!kwargs.is_object()) throw Error("fill-mask: keyword arguments must be an object");
  for (const auto& [key, value] : kwargs.items()) {
    if (key == "top_k") {
      if (!value.is_number_integer()) throw Error("fill-mask: top_k must be an integer");
      options.top_k = value.get<int64_t>();
    } else if (key == "targets") {
      if (!value.is_null()) options.targets = strings_of(value, "targets");
    } else if (key == "batch_size") {  // Pipeline.__call__'s: results do not depend on it
      batch_size_option(kwargs);
    } else if (key == "tokenizer_kwargs") {
      if (!value.is_object()) throw Error("fill-mask: tokenizer_kwargs must be an object");
      for (const auto& [k, v] : value.items()) {
        if (k == "truncation") {
          options.truncation = v.is_boolean() ? v.get<bool>() : (v.is_string() && v.get<std::string>() != "do_not_truncate");
        } else if (k == "max_length") {
          if (!v.is_number_integer() || v.get<int64_t>() <= 0) throw Error("fill-mask: tokenizer_kwargs.max_length must be a positive integer");
          options.max_length = v.get<size_t>();
        } else {
          throw Error("fill-mask: unsupported tokenizer_kwargs entry '" + k + "' (supported: truncation, max_length)");
        }
      }
    } else {
      throw Error("fill-mask: unknown keyword argument '" + key + "' (supported: top_k, targets, tokenizer_kwargs, batch_size)");
    }
  }
  return options;
}

}  // namespace

json FillMaskPipeline::operator()(const json& inputs, const json& kwargs) const {
  const FillMaskOptions options = options_of(kwargs);
  if (inputs.is_string()) return to_json(fill(inputs.get<std::string>(), options));
  const std::vector<std::string> texts = strings_of(inputs, "inputs");
  const std::vector<FillMaskResult> results = fill(texts, options);
  if (results.size() == 1) return to_json(results[0]);
  json out = json::array();
  for (const auto& r : results) out.push_back(to_json(r));
  return out;
}

}  // namespace lmpipe
