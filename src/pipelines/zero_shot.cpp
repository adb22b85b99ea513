// Port of transformers v5 pipelines/zero_shot_classification.py (ZeroShotClassificationPipeline).
#include "lmpipe/zero_shot.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <future>
#include <iterator>
#include <numeric>

#include "io/hub.h"
#include "lmpipe/tokenizer.h"
#include "pipelines/py_format.h"
#include "models/model.h"
#include "util/error.h"
#include "util/log.h"

namespace lmpipe {

namespace {

// Tokens per forward pass. The pairs of a call run packed (no padding), so the cost of a pass is
// its token count; this many rows keep the GEMMs at full rate while bounding activation memory
// (about 60 KB per token for bart-large-mnli).
constexpr int64_t kMaxTokensPerForward = 512;

// Splits `lengths` (in order) into consecutive chunks of at most `budget` tokens (a longer item
// is a chunk of its own), as even as possible, so a call never ends with a tiny last pass.
std::vector<size_t> chunk_ends(const std::vector<int64_t>& lengths, int64_t budget) {
  int64_t total = 0;
  for (int64_t n : lengths) total += n;
  const int64_t chunks = std::max<int64_t>(1, (total + budget - 1) / budget);
  const int64_t target = (total + chunks - 1) / chunks;
  std::vector<size_t> ends;
  int64_t in_chunk = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    if (in_chunk > 0 && (in_chunk + lengths[i] > budget || in_chunk >= target)) {
      ends.push_back(i);
      in_chunk = 0;
    }
    in_chunk += lengths[i];
  }
  ends.push_back(lengths.size());
  return ends;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n\r\f\v"), e = s.find_last_not_of(" \t\n\r\f\v");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// A hypothesis as messages quote it: long ones cut short.
std::string quote_shortened(const std::string& text) {
  constexpr size_t kMax = 80;
  if (text.size() <= kMax) return "\"" + text + "\"";
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
  return "\"" + text.substr(0, cut) + "...\"";
}

}  // namespace

// One call checked and tokenized: what scoring it needs.
struct ZeroShotCall : Pipeline::Call {
  std::vector<std::string> sequences, labels;
  ZeroShotOptions options;
  bool one_sequence = false;        // inputs was a string: the answer is an object, not a list
  std::vector<Encoding> encodings;  // (premise, hypothesis) per sequence and label, sequence-major
};

struct ZeroShotClassificationPipeline::Impl {
  Tokenizer tokenizer;
  std::unique_ptr<SequenceClassifier> model;
  int entailment_id = -1;
  size_t max_length = 0;  // truncation length for (premise, hypothesis) pairs

  std::unique_ptr<ZeroShotCall> prepare(std::vector<std::string> sequences, std::vector<std::string> labels,
                                        const ZeroShotOptions& options) const;
  // `pairs`: each sequence's hypotheses together, `per_sequence` of them.
  std::vector<Encoding> encode_pairs(const std::vector<std::pair<std::string, std::string>>& pairs,
                                     size_t per_sequence) const;
  // Logits of each pair (pairs, num_classes), whatever pairs share a forward pass with it.
  std::vector<float> logits(const std::vector<const Encoding*>& pairs, int64_t& num_classes) const;
  std::vector<std::vector<ZeroShotResult>> classify(const std::vector<const ZeroShotCall*>& calls) const;
};

ZeroShotClassificationPipeline::ZeroShotClassificationPipeline(const std::filesystem::path& model_dir,
                                                               const LoadOptions& options)
    : impl_([&] {
        require_model_dir(model_dir);
        // The tokenizer (parsing tokenizer.json) loads on another thread while the weights are packed.
        auto tokenizer = std::async(std::launch::async, [&] { return Tokenizer::from_dir(model_dir); });
        auto model = load_sequence_classifier(model_dir, options);
        return std::unique_ptr<Impl>(new Impl{tokenizer.get(), std::move(model)});
      }()) {
  for (const auto& [label, id] : impl_->model->labels().label2id) {
    std::string lower = label;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.rfind("entail", 0) == 0) {
      impl_->entailment_id = id;
      break;
    }
  }
  if (impl_->entailment_id == -1)
    log_warning("Failed to determine 'entailment' label id from the label2id mapping in " +
                (model_dir / "config.json").string() +
                ". Setting to -1. Define a descriptive label2id mapping in the model config to ensure correct outputs.");
  // transformers truncates to the tokenizer's model_max_length; we also never exceed what the
  // position embeddings hold, which would otherwise fail deep inside the model.
  impl_->max_length = std::min<size_t>(impl_->tokenizer.model_max_length(),
                                       static_cast<size_t>(impl_->model->max_positions()));
}

ZeroShotClassificationPipeline::~ZeroShotClassificationPipeline() = default;

int ZeroShotClassificationPipeline::entailment_id() const { return impl_->entailment_id; }

std::vector<std::string> ZeroShotClassificationPipeline::parse_labels(const std::string& comma_separated) {
  std::vector<std::string> labels;
  size_t start = 0;
  while (start <= comma_separated.size()) {
    size_t comma = comma_separated.find(',', start);
    if (comma == std::string::npos) comma = comma_separated.size();
    std::string label = trim(comma_separated.substr(start, comma - start));
    if (!label.empty()) labels.push_back(label);
    start = comma + 1;
  }
  return labels;
}

std::vector<std::string> ZeroShotClassificationPipeline::hypotheses(const std::vector<std::string>& labels,
                                                                   const ZeroShotOptions& options) {
  if (labels.empty()) throw Error("You must include at least one label and at least one sequence.");
  const std::string& tmpl = options.hypothesis_template;
  std::vector<std::string> out;
  for (const auto& label : labels) {
    try {
      out.push_back(py_format(tmpl, {label}));
    } catch (const Error& e) {
      throw Error("hypothesis_template \"" + tmpl + "\" with the label \"" + label + "\": " + e.what() +
                  " (as Python's str.format raises it; the template takes the label in one {}, and {{ and }} for "
                  "literal braces)");
    }
    // transformers' check: formatting the first label must change the template.
    if (out.size() == 1 && out[0] == tmpl)
      throw Error("The provided hypothesis_template \"" + tmpl +
                  "\" was not able to be formatted with the target labels. Make sure the passed template "
                  "includes formatting syntax such as {} where the label should go.");
  }
  return out;
}

void ZeroShotClassificationPipeline::check_arguments(const std::vector<std::string>& labels, const ZeroShotOptions& options) {
  hypotheses(labels, options);
}

void ZeroShotClassificationPipeline::check_hypotheses_fit(const std::vector<std::string>& labels,
                                                          const ZeroShotOptions& options) const {
  const size_t positions = static_cast<size_t>(impl_->model->max_positions());
  for (const auto& hypothesis : hypotheses(labels, options)) {
    // With an empty text: the special tokens of a pair and the hypothesis.
    size_t tokens = impl_->tokenizer.encode_pair("", hypothesis).size();
    if (tokens > positions)
      throw Error("the hypothesis " + quote_shortened(hypothesis) + " is " + std::to_string(tokens) +
                  " tokens with the special tokens of a pair, more than the " + std::to_string(positions) +
                  " positions the model takes, so no text fits beside it (only the text can be truncated); "
                  "shorten the hypothesis_template or the label");
  }
}

std::unique_ptr<ZeroShotCall> ZeroShotClassificationPipeline::Impl::prepare(std::vector<std::string> sequences,
                                                                           std::vector<std::string> labels,
                                                                           const ZeroShotOptions& options) const {
  if (labels.empty() || sequences.empty())
    throw Error("You must include at least one label and at least one sequence.");
  for (const auto& s : sequences)
    if (s.empty()) throw Error("You must include at least one label and at least one sequence (got an empty text).");
  const std::vector<std::string> hypothesis = hypotheses(labels, options);

  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& sequence : sequences)
    for (const auto& h : hypothesis) pairs.emplace_back(sequence, h);

  auto call = std::make_unique<ZeroShotCall>();
  call->encodings = encode_pairs(pairs, hypothesis.size());
  for (const auto& enc : call->encodings) call->tokens += enc.size();
  call->sequences = std::move(sequences);
  call->labels = std::move(labels);
  call->options = options;
  return call;
}

std::vector<Encoding> ZeroShotClassificationPipeline::Impl::encode_pairs(
    const std::vector<std::pair<std::string, std::string>>& pairs, size_t per_sequence) const {
  EncodeOptions encode;
  encode.truncation = Truncation::OnlyFirst;
  encode.max_length = max_length;
  std::vector<Encoding> encodings;
  try {
    encodings = tokenizer.encode_pair_batch(pairs, encode);
  } catch (const Error& e) {
    if (std::string(e.what()).find("too short") == std::string::npos) throw;
    // As transformers does for each sequence: when its premise is too short to truncate, do not truncate.
    encodings.clear();
    for (size_t first = 0; first < pairs.size(); first += per_sequence) {
      const std::vector<std::pair<std::string, std::string>> own(pairs.begin() + first,
                                                                 pairs.begin() + first + per_sequence);
      std::vector<Encoding> part;
      try {
        part = tokenizer.encode_pair_batch(own, encode);
      } catch (const Error& each) {
        if (std::string(each.what()).find("too short") == std::string::npos) throw;
        part = tokenizer.encode_pair_batch(own, EncodeOptions{});
      }
      std::move(part.begin(), part.end(), std::back_inserter(encodings));
    }
  }
  // transformers truncates silently; a user should know the end of the text was not read.
  for (const auto& enc : encodings)
    if (enc.truncated)
      log_warning_once("input truncated to " + std::to_string(max_length) +
                       " tokens (the model's maximum, premise and hypothesis together); the rest was not classified");
  // Without truncation (the text was too short to cut), a long hypothesis can overflow the
  // position embeddings: say so here rather than fail inside the model.
  const size_t positions = static_cast<size_t>(model->max_positions());
  for (size_t i = 0; i < encodings.size(); ++i)
    if (encodings[i].size() > positions)
      throw Error("the hypothesis " + quote_shortened(pairs[i].second) + " leaves no room for the text: the pair is " +
                  std::to_string(encodings[i].size()) + " tokens, more than the " + std::to_string(positions) +
                  " positions the model takes, and only the text can be truncated; shorten the "
                  "hypothesis_template or the label");
  return encodings;
}

std::vector<float> ZeroShotClassificationPipeline::Impl::logits(const std::vector<const Encoding*>& pairs,
                                                                int64_t& num_classes) const {
  const bool with_types = tokenizer.returns_token_type_ids();
  // Packed forward passes (no padding): a pair's logits do not depend on what shares its pass.
  std::vector<int64_t> lengths;
  for (const Encoding* enc : pairs) lengths.push_back(static_cast<int64_t>(enc->ids.size()));
  std::vector<float> out;
  size_t first = 0;
  for (size_t end : chunk_ends(lengths, kMaxTokensPerForward)) {
    PackedBatch batch;
    for (size_t i = first; i < end; ++i)
      batch.add(pairs[i]->ids, with_types ? pairs[i]->type_ids : std::vector<int32_t>{});
    first = end;
    Tensor result = model->classify_packed(batch);
    num_classes = result.size(1);
    out.insert(out.end(), result.data(), result.data() + result.numel());
  }
  return out;
}

std::vector<std::vector<ZeroShotResult>> ZeroShotClassificationPipeline::Impl::classify(
    const std::vector<const ZeroShotCall*>& calls) const {
  std::vector<const Encoding*> pairs;
  for (const ZeroShotCall* call : calls)
    for (const auto& enc : call->encodings) pairs.push_back(&enc);
  int64_t num_classes = 0;
  const std::vector<float> logits_of_pairs = logits(pairs, num_classes);

  // Python indexing: -1 is the last class.
  auto column = [&](int id) { return static_cast<int64_t>(id < 0 ? id + num_classes : id); };
  const int64_t entail = column(entailment_id);
  const int64_t contradiction = column(entailment_id == 0 ? -1 : 0);

  std::vector<std::vector<ZeroShotResult>> out;
  const float* rows = logits_of_pairs.data();
  for (const ZeroShotCall* call : calls) {
    const size_t n = call->labels.size();
    std::vector<ZeroShotResult> results;
    for (const auto& sequence : call->sequences) {
      std::vector<double> scores(n);
      if (call->options.multi_label || n == 1) {
        // Softmax of entailment vs contradiction, for each label on its own.
        for (size_t i = 0; i < n; ++i) {
          double c = rows[i * num_classes + contradiction], e = rows[i * num_classes + entail];
          double m = std::max(c, e);
          scores[i] = std::exp(e - m) / (std::exp(c - m) + std::exp(e - m));
        }
      } else {
        // Softmax of the entailment logits across labels.
        double m = -INFINITY, sum = 0;
        for (size_t i = 0; i < n; ++i) m = std::max<double>(m, rows[i * num_classes + entail]);
        for (size_t i = 0; i < n; ++i) sum += scores[i] = std::exp(rows[i * num_classes + entail] - m);
        for (double& score : scores) score /= sum;
      }
      // numpy: reversed(argsort()) — ascending stable order, reversed, so ties keep the later label first.
      std::vector<size_t> order(n);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
      std::reverse(order.begin(), order.end());
      ZeroShotResult result{sequence, {}, {}};
      for (size_t i : order) {
        result.labels.push_back(call->labels[i]);
        result.scores.push_back(static_cast<float>(scores[i]));  // transformers computes in float32
      }
      results.push_back(std::move(result));
      rows += n * num_classes;
    }
    out.push_back(std::move(results));
  }
  return out;
}

std::vector<ZeroShotResult> ZeroShotClassificationPipeline::classify(const std::vector<std::string>& sequences,
                                                                     const std::vector<std::string>& labels,
                                                                     const ZeroShotOptions& options) const {
  auto call = impl_->prepare(sequences, labels, options);
  return std::move(impl_->classify({call.get()}).front());
}

ZeroShotResult ZeroShotClassificationPipeline::classify(const std::string& sequence, const std::vector<std::string>& labels,
                                                        const ZeroShotOptions& options) const {
  return classify(std::vector<std::string>{sequence}, labels, options).front();
}

json to_json(const ZeroShotResult& result) {
  return json{{"sequence", result.sequence}, {"labels", result.labels}, {"scores", result.scores}};
}

std::unique_ptr<Pipeline::Call> ZeroShotClassificationPipeline::prepare(const json& inputs, const json& kwargs) const {
  if (!kwargs.is_object()) throw Error("zero-shot-classification: keyword arguments must be an object");
  std::vector<std::string> labels;
  ZeroShotOptions options;
  const json* given_labels = kwargs.contains("candidate_labels") ? &kwargs["candidate_labels"] : nullptr;
  if (given_labels == nullptr || given_labels->is_null())
    throw Error("zero-shot-classification: missing keyword argument 'candidate_labels'");
  if (given_labels->is_string()) {
    labels = parse_labels(given_labels->get<std::string>());
  } else if (given_labels->is_array()) {
    for (const auto& l : *given_labels) {
      if (!l.is_string()) throw Error("zero-shot-classification: candidate_labels must be strings");
      labels.push_back(l.get<std::string>());
    }
  } else {
    throw Error("zero-shot-classification: candidate_labels must be a string or a list of strings");
  }
  if (kwargs.contains("hypothesis_template")) {
    if (!kwargs["hypothesis_template"].is_string())
      throw Error("zero-shot-classification: hypothesis_template must be a string");
    options.hypothesis_template = kwargs["hypothesis_template"].get<std::string>();
  }
  for (const char* flag : {"multi_label", "multi_class"}) {  // multi_class: the deprecated name
    if (!kwargs.contains(flag)) continue;
    if (!kwargs[flag].is_boolean()) throw Error(std::string("zero-shot-classification: ") + flag + " must be true or false");
    options.multi_label = kwargs[flag].get<bool>();
  }

  std::vector<std::string> sequences;
  if (inputs.is_string()) {
    sequences.push_back(inputs.get<std::string>());
  } else if (inputs.is_array()) {
    for (const auto& s : inputs) {
      if (!s.is_string()) throw Error("zero-shot-classification: sequences must be strings");
      sequences.push_back(s.get<std::string>());
    }
  } else {
    throw Error("zero-shot-classification: sequences must be a string or a list of strings");
  }
  auto call = impl_->prepare(std::move(sequences), std::move(labels), options);
  call->one_sequence = inputs.is_string();
  return call;
}

std::vector<json> ZeroShotClassificationPipeline::run(const std::vector<const Call*>& calls) const {
  std::vector<const ZeroShotCall*> own;
  for (const Call* call : calls) {
    own.push_back(dynamic_cast<const ZeroShotCall*>(call));
    if (own.back() == nullptr) throw Error("zero-shot-classification: a call prepared by another pipeline");
  }
  std::vector<json> out;
  const auto results = impl_->classify(own);
  for (size_t i = 0; i < own.size(); ++i) {
    if (own[i]->one_sequence) {
      out.push_back(to_json(results[i].front()));
      continue;
    }
    json list = json::array();
    for (const auto& r : results[i]) list.push_back(to_json(r));
    out.push_back(std::move(list));
  }
  return out;
}

json ZeroShotClassificationPipeline::operator()(const json& inputs, const json& kwargs) const {
  return run({prepare(inputs, kwargs).get()}).front();
}

}  // namespace lmpipe
